"""JourneyKit's revisions, oldest first by their date-prefixed file names."""
