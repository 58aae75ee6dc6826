"""The web side: the supervisors' dashboard (login by a link from the bot) and the Open311 API."""
