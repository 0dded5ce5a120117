-- Users are looked up by email case-insensitively, so two emails that differ
-- only in case must not both exist.
CREATE UNIQUE INDEX users_email_lower ON users (LOWER(email));
