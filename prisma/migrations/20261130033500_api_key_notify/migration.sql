-- API processes cache authenticated keys; a change to a key's standing (revoked, role, station, deleted)
-- is announced on the channel `claimline_api_key` with the key's id, so each cache drops it before the
-- key's next request. `last_used_at` refreshes are not announced.
CREATE FUNCTION claimline_notify_api_key() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('claimline_api_key', OLD.id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER api_key_notify
  AFTER UPDATE OF revoked_at, role, station_id, secret_hash, prefix OR DELETE ON api_key
  FOR EACH ROW EXECUTE FUNCTION claimline_notify_api_key();
