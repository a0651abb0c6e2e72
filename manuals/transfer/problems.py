"""What can go wrong reading an import, always with the file and (when known) line."""

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth knowing) about the input, for the report."""

    file: str
    line: int | None
    message: str
    level: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.level == ERROR

    def __str__(self):
        where = self.file or "-"
        if self.line:
            where += f":{self.line}"
        return f"{where}: {self.message}"


class ImportProblem(Exception):
    """Raised where reading cannot go on; carries the file and line."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None):
        super().__init__(message)
        self.problem = Problem(file=file, line=line, message=message)


class ImportFailed(Exception):
    """The import found errors and, being all or nothing, imported nothing."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems; nothing was imported")
        self.problems = problems
