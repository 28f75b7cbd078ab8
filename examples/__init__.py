"""Example shops that mount JourneyKit (not part of the installed package)."""
