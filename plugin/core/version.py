"""JourneyKit's version, in one place for the package, the OpenAPI document, the embed URL and hooks' User-Agent."""

__version__ = "0.1.0"
