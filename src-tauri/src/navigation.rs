//! What the sign-in window may load: the decision the webview's navigation
//! hook makes for every URL, as a pure function so it can be tested.
//!
//! The window shows Worksection's own pages (the OAuth origin, and account
//! origins under its domain, where Worksection may send a person to log
//! in). The navigation to the registered redirect URI is *taken*: the hook
//! refuses it, so the request never leaves the machine (no local server,
//! no certificate warning), and the app finishes the sign-in from its URL.
//! Anything else is refused, so the window can never wander to a page that
//! is not Worksection's.

use url::Url;

/// What to do with one navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A Worksection page: let it load.
    Allow,
    /// The redirect with the answer: stop it and finish the sign-in.
    Take,
    /// Anything else: stop it.
    Refuse,
}

/// The origins the sign-in window may show, and the redirect it waits for.
#[derive(Debug, Clone)]
pub struct Rules {
    pub oauth: Url,
    pub redirect: Url,
}

impl Rules {
    pub fn decide(&self, url: &Url) -> Decision {
        if is_redirect(url, &self.redirect) {
            return Decision::Take;
        }
        if url.scheme() == "about" && url.path() == "blank" {
            // WebKit loads about:blank before the first page.
            return Decision::Allow;
        }
        if url.scheme() != self.oauth.scheme() {
            return Decision::Refuse;
        }
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return Decision::Refuse;
        };
        let Some(oauth_host) = self.oauth.host_str().map(str::to_ascii_lowercase) else {
            return Decision::Refuse;
        };
        let same_origin =
            host == oauth_host && url.port_or_known_default() == self.oauth.port_or_known_default();
        // An account lives at a subdomain of Worksection's (acme.worksection.com
        // under worksection.com); only over https, so no one on the network
        // can pose as one.
        let account_origin = url.scheme() == "https"
            && host.ends_with(&format!(".{oauth_host}"))
            && url.port_or_known_default() == Some(443);
        if same_origin || account_origin {
            Decision::Allow
        } else {
            Decision::Refuse
        }
    }
}

/// The same scheme, host, port and path as the registered redirect URI
/// (the query carries the answer).
fn is_redirect(url: &Url, redirect: &Url) -> bool {
    url.scheme() == redirect.scheme()
        && url.host_str().map(str::to_ascii_lowercase)
            == redirect.host_str().map(str::to_ascii_lowercase)
        && url.port_or_known_default() == redirect.port_or_known_default()
        && url.path() == redirect.path()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    fn real() -> Rules {
        Rules {
            oauth: u("https://worksection.com"),
            redirect: u("https://localhost:8080/oauth/callback"),
        }
    }

    #[test]
    fn the_redirect_is_taken_whatever_its_query() {
        let r = real();
        for url in [
            "https://localhost:8080/oauth/callback?code=abc&state=xyz",
            "https://localhost:8080/oauth/callback?error=access_denied&state=xyz",
            "https://LOCALHOST:8080/oauth/callback",
        ] {
            assert_eq!(r.decide(&u(url)), Decision::Take, "{url}");
        }
    }

    #[test]
    fn near_misses_of_the_redirect_are_refused() {
        let r = real();
        for url in [
            "http://localhost:8080/oauth/callback?code=abc",
            "https://localhost:8081/oauth/callback?code=abc",
            "https://localhost:8080/oauth/callback/more?code=abc",
            "https://localhost/oauth/callback?code=abc",
            "https://evil.example/oauth/callback?code=abc",
        ] {
            assert_eq!(r.decide(&u(url)), Decision::Refuse, "{url}");
        }
    }

    #[test]
    fn worksection_pages_load_and_others_do_not() {
        let r = real();
        assert_eq!(
            r.decide(&u("https://worksection.com/oauth2/authorize?client_id=x")),
            Decision::Allow
        );
        assert_eq!(
            r.decide(&u("https://acme.worksection.com/login/")),
            Decision::Allow
        );
        assert_eq!(r.decide(&u("about:blank")), Decision::Allow);
        for url in [
            "https://evil.example/",
            "https://worksection.com.evil.example/",
            "https://eviworksection.com/",
            "http://worksection.com/",
            "http://acme.worksection.com/",
            "https://acme.worksection.com:8443/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,hi",
        ] {
            assert_eq!(r.decide(&u(url)), Decision::Refuse, "{url}");
        }
    }

    #[test]
    fn a_local_simulator_is_its_own_origin() {
        let r = Rules {
            oauth: u("http://127.0.0.1:41234"),
            redirect: u("https://localhost:8080/oauth/callback"),
        };
        assert_eq!(
            r.decide(&u("http://127.0.0.1:41234/oauth2/authorize?x=1")),
            Decision::Allow
        );
        assert_eq!(r.decide(&u("http://127.0.0.1:41235/")), Decision::Refuse);
        assert_eq!(r.decide(&u("http://localhost:41234/")), Decision::Refuse);
    }
}
