"""What every swx HTTP service shares: errors as problem+json, bodies, identity, health."""
