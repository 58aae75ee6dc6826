"""Tell a database that cannot be reached (for now) from a failure that doing the same again would repeat."""
from __future__ import annotations

import asyncio
import logging
import sys

from sqlalchemy import exc as sa

# asyncpg's errors for a connection lost or refused, by name: the driver is imported only on PostgreSQL.
_LOST = {"ConnectionDoesNotExistError", "ConnectionFailureError", "CannotConnectNowError", "InterfaceError",
         "TooManyConnectionsError", "AdminShutdownError", "CrashShutdownError", "ConnectionRejectionError"}


def database_unreachable(error: BaseException) -> bool:
    """Say whether `error` (or what caused it) means the database could not be reached or went away."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, sa.DBAPIError) and (error.connection_invalidated
                                                 or isinstance(error, (sa.OperationalError, sa.InterfaceError))):
            return True
        if isinstance(error, (sa.TimeoutError, sa.DisconnectionError)):  # the pool waited in vain for a connection
            return True
        if isinstance(error, (ConnectionError, asyncio.TimeoutError, TimeoutError)) or (
                isinstance(error, OSError) and error.errno is not None):
            return True
        if type(error).__name__ in _LOST:
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def log_failure(logger: logging.Logger, message: str, *args: object) -> None:
    """Log the exception being handled: one warning line when the database is unreachable, else its traceback."""
    error = sys.exc_info()[1]
    if error is not None and database_unreachable(error):
        logger.warning(message + " (the database is unreachable: %s)", *args, type(error).__name__)
    else:
        logger.exception(message, *args)
