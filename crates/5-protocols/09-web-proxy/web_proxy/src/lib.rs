//! The web proxy's parts: HTTP messages read as streams (`http`), the caching rules
//! (`cache`), the table of cached responses (`store`), and the connection of one client
//! (`proxy`). `main.rs` holds the socket calls a server makes (listen, accept) and starts
//! a thread per client.

pub mod cache;
pub mod http;
pub mod proxy;
pub mod store;

pub use proxy::{Mode, Proxy};

/// The origin of `--reverse`: `http://host:port`, `host:port` or `host` (port 80), with
/// nothing after it but a `/`.
pub fn parse_origin(text: &str) -> Result<(String, u16), String> {
    let url = if text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    match http::parse_url(&url) {
        Ok(url) if url.path == "/" => Ok((url.host, url.port)),
        Ok(_) => Err(format!(
            "{text}: an origin is a host and a port, without a path"
        )),
        Err(http::UrlError::Scheme(scheme)) => Err(format!(
            "{text}: {scheme}:// is not supported (no TLS here); give an http:// origin"
        )),
        Err(http::UrlError::Malformed(why)) => Err(format!("{text}: {why}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_a_host_and_a_port() {
        assert_eq!(
            parse_origin("http://127.0.0.1:6789"),
            Ok(("127.0.0.1".into(), 6789))
        );
        assert_eq!(
            parse_origin("127.0.0.1:6789/"),
            Ok(("127.0.0.1".into(), 6789))
        );
        assert_eq!(parse_origin("[::1]"), Ok(("::1".into(), 80)));
        assert!(
            parse_origin("https://example.com")
                .unwrap_err()
                .contains("no TLS")
        );
        assert!(parse_origin("http://a:1/static").is_err());
        assert!(parse_origin("a:b").is_err());
    }
}
