-- Figure 1's one-lookup line (bench/c/static_fcgi in lookup mode): an order's events page kept
-- rendered, returned only when $1 (the token's SHA-256, hex) is a token of merchant $2 that is not
-- revoked; $3 the order id. One index lookup of each, in one round trip.
SELECT p.body
FROM bench.rendered_pages AS p
WHERE p.merchant = $2 AND p.order_id = $3::uuid
  AND EXISTS (SELECT 1 FROM api_tokens AS t WHERE t.token_hash = $1 AND t.merchant = $2 AND t.revoked_at IS NULL)
