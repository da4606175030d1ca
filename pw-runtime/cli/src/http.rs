//! Delivering a pingback to a listener: GET with a query string or POST
//! with a form body, one request at a time, no redirects followed.

use std::time::Duration;

pub use pw_runtime::testing::checklist::Answer;

use crate::args::Target;

/// Sends pingbacks to one URL.
pub struct Client {
    agent: ureq::Agent,
    url: String,
    post: bool,
    headers: Vec<(String, String)>,
}

/// The most body bytes read from an answer.
const BODY_LIMIT: u64 = 64 * 1024;

impl Client {
    /// A client for the listener of `send`'s and `check`'s arguments: its
    /// URL, method, timeout and headers.
    pub fn for_target(target: &Target) -> Result<Self, String> {
        Client::new(
            &target.url,
            target.post,
            Duration::from_secs(target.timeout),
            &target.headers,
        )
    }

    /// A client for `url`, by POST (form body) or GET (query string).
    pub fn new(
        url: &str,
        post: bool,
        timeout: Duration,
        headers: &[(String, String)],
    ) -> Result<Self, String> {
        let url = url.split('#').next().unwrap_or_default();
        if url.starts_with("https://") && !cfg!(feature = "tls") {
            return Err(format!(
                "{url}: this pw-pingback was built without TLS; use an http:// URL (for example \
                 on 127.0.0.1) or install with the feature `tls` (on by default)"
            ));
        }
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(format!(
                "{url}: expected a URL starting with http:// or https://"
            ));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(timeout))
            .user_agent(concat!("pw-pingback/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Client {
            agent,
            url: url.to_owned(),
            post,
            headers: headers.to_vec(),
        })
    }

    /// The URL pingbacks go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends one pingback, `query` being its encoded parameters.
    pub fn deliver(&self, query: &str) -> Result<Answer, String> {
        let sent = if self.post {
            let mut request = self.agent.post(&self.url);
            for (name, value) in &self.headers {
                request = request.header(name, value);
            }
            request
                .content_type("application/x-www-form-urlencoded")
                .send(query)
        } else {
            let joint = if self.url.contains('?') { '&' } else { '?' };
            let mut request = self.agent.get(format!("{}{joint}{query}", self.url));
            for (name, value) in &self.headers {
                request = request.header(name, value);
            }
            request.call()
        };
        let mut response = sent.map_err(|err| format!("cannot reach {}: {err}", self.url))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_vec()
            .map_err(|err| format!("reading the answer of {}: {err}", self.url))?;
        Ok(Answer::new(status, String::from_utf8_lossy(&body)))
    }
}
