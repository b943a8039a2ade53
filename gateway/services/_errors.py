"""The one error type the local-stack code raises: a message a person can act on."""


class ServiceError(RuntimeError):
    """A local service could not be prepared, started or reached; the message says what to do.

    Example:
        >>> str(ServiceError("Java 17+ is required", hint="apt-get install openjdk-17-jre"))
        'Java 17+ is required\\n  → apt-get install openjdk-17-jre'
    """

    def __init__(self, message: str, *, hint: str | None = None, detail: str | None = None) -> None:
        text = message
        if hint:
            text += f"\n  → {hint}"
        if detail:
            text += f"\n{detail}"
        super().__init__(text)
