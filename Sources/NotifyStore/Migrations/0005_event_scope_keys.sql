-- The key an event query's scope filter matches when it is not a pointer (`state.completed`,
-- `payment`, `shipping`): the event's own scope for the simple forms, and for pointer-form
-- notifications the key of what the pointer watches (`state.<new status>` for
-- /state/currentStatus, `payment` under /payments, `shipping` under /shippings), NULL for other
-- pointers (found by the pointer in `scope` alone). So an adapter asking for `state.completed`
-- sees every completed-order event whichever form registered it, with one index scan.
ALTER TABLE events ADD COLUMN scope_key text;

UPDATE events SET scope_key = CASE
    WHEN scope <> '' AND scope NOT LIKE '/%' THEN scope
    WHEN scope = '/state/currentStatus' THEN coalesce('state.' || (payload #>> '{order,state,currentStatus}'), 'state')
    WHEN scope = '/payments' OR scope LIKE '/payments/%' THEN 'payment'
    WHEN scope = '/shippings' OR scope LIKE '/shippings/%' THEN 'shipping'
END;

CREATE INDEX events_by_scope_key ON events (merchant, scope_key, event_id DESC) WHERE scope_key IS NOT NULL;
