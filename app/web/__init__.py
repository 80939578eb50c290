"""The web application: the REST API, the desk console, sign-in, errors and the request plumbing under them."""
