"""Flask glue shared by the web pages and the JSON API: sessions, auth, errors, headers."""
