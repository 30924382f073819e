//! Worksection API client.
