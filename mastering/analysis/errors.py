"""The one error the analysis engine raises: a file it cannot measure, with a message for a producer.

``str(exc)`` is a complete sentence that says what is wrong with the file (not readable as audio,
empty, too short, too long, too many channels, invalid samples), so a caller can show it as it is.
"""


class AnalysisError(Exception):
    """The file cannot be analysed; the message says why, in words a producer understands."""
