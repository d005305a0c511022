"""CSS and JavaScript of the web app (package data)."""
