//! Email through the server's SMTP relay (`--smtp-url`, `--mail-from`), by lettre:
//! `smtp://user:pass@host:587` speaks plain SMTP (STARTTLS with `?tls=required`),
//! `smtps://host:465` wraps the connection in TLS. A refusal the relay gives as
//! permanent (5xx) is final for the message; anything else is tried again later.

use super::twilio::SendError;
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// From the configuration; an error names what is wrong with it.
    pub fn new(url: &str, from: &str) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("--smtp-url is not an SMTP URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from.parse().map_err(|e| format!("--mail-from is not an address: {e}"))?;
        Ok(Mailer { transport, from })
    }

    /// Sends a plain-text email; returns the relay's answer.
    pub async fn send(&self, reply_name: &str, to: &str, subject: &str, body: &str) -> Result<String, SendError> {
        self.send_with(reply_name, to, subject, body, None).await
    }

    /// Sends a plain-text email with a file attached (name, content type, bytes).
    pub async fn send_with(
        &self,
        reply_name: &str,
        to: &str,
        subject: &str,
        body: &str,
        attachment: Option<(&str, &str, Vec<u8>)>,
    ) -> Result<String, SendError> {
        let to: Mailbox = to.parse().map_err(|e| SendError::Final(format!("not an address: {e}")))?;
        // The restaurant's name on the sender, the server's address.
        let from = Mailbox::new(Some(reply_name.to_owned()), self.from.email.clone());
        let builder = Message::builder().from(from).to(to).subject(subject);
        let built = match attachment {
            None => builder.header(ContentType::TEXT_PLAIN).body(body.to_owned()),
            Some((name, kind, bytes)) => {
                let kind =
                    ContentType::parse(kind).map_err(|e| SendError::Final(format!("not a content type: {e}")))?;
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(body.to_owned()))
                        .singlepart(Attachment::new(name.to_owned()).body(bytes, kind)),
                )
            }
        };
        let email = built.map_err(|e| SendError::Final(format!("the email could not be built: {e}")))?;
        match self.transport.send(email).await {
            Ok(r) => Ok(r.message().collect::<Vec<_>>().join(" ")),
            Err(e) if e.is_permanent() => Err(SendError::Final(format!("the mail relay refused it: {e}"))),
            Err(e) => Err(SendError::Transient(format!("the mail relay: {e}"))),
        }
    }
}
