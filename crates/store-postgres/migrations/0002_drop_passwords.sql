-- SCIM `password` values are no longer kept (people sign in through their identity provider):
-- remove any a client sent before, so no stored row holds one.
UPDATE accounts SET attributes = attributes - 'password' WHERE attributes ? 'password';
