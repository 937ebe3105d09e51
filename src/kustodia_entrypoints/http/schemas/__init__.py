"""Request and response bodies: attrs classes mapped to and from the domain by hand."""
