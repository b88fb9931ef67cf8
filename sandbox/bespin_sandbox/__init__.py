"""The bespin.platform sandbox: a local twin of the estate our roles run against."""
