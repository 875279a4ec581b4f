"""StyleArena web platform: app factory, models, services and the organizer CLI."""
