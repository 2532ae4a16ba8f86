"""Sample trading bots built only on the public client API."""
