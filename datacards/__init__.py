"""The dataset card template (``README.md.jinja``), shipped as package data for the publish stage."""
