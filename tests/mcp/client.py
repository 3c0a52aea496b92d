"""Brigade's MCP server through the official MCP Python SDK (PyPI `mcp`), as an outside
agent would use it: connect over streamable HTTP with an API key, list the tools, call
them. Prints one JSON object for the Rust test (tests/api/mcp.rs) to check.

usage: python3 tests/mcp/client.py URL API_KEY
"""

import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client


async def main(url: str, key: str) -> None:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    async with streamable_http_client(url, http_client=http) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            done = await session.call_tool("eighty_six", {"items": ["salmon"], "reason": "from the agent"})
            held = await session.call_tool("set_order_status", {"number": 1, "status": "cancelled"})
            missing = await session.call_tool("eighty_six", {"items": ["lobster"]})
            listed = await session.call_tool("list_unavailable", {})
            out = {
                "protocol": init.protocol_version,
                "server": init.server_info.name,
                "tools": sorted(t.name for t in tools.tools),
                "done": {"error": done.is_error, "text": done.content[0].text, "structured": done.structured_content},
                "held": {"error": held.is_error, "text": held.content[0].text, "structured": held.structured_content},
                "missing": {"error": missing.is_error, "text": missing.content[0].text},
                "listed": listed.content[0].text,
            }
            print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
