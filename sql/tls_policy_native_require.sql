-- mysql.tls_policy_native_require: the native REQUIRE setting of every
-- account (CREATE USER ... REQUIRE, kept in mysql.global_priv) written as a
-- tls_policy Requirement that means the same checks.  One row per account
-- (roles are left out).  Read by mysql.tls_policy_import_native(); the
-- tls_policy plugin installs this view (docs/sql-objects.md).
--
-- ssl_type in the Priv JSON (include/violite.h, enum SSL_type): absent or 0
-- NONE, 1 SSL (ANY), 2 X509, 3 SPECIFIED (CIPHER/ISSUER/SUBJECT).  The
-- server checks only the non-empty ones of ssl_cipher, x509_issuer and
-- x509_subject; SPECIFIED with all three empty still requires TLS, which
-- CIPHER '' expresses.  Values are quoted for the Requirement parser (which
-- reads strings as MariaDB's lexer does): backslash and quote are escaped
-- with a backslash.  CHAR(..) keeps this independent of the sql_mode
-- NO_BACKSLASH_ESCAPES.  Host and User carry mysql.tls_policy's collations
-- so that they compare with its columns.
CREATE OR REPLACE DEFINER='mariadb.sys'@'localhost' SQL SECURITY INVOKER
VIEW mysql.tls_policy_native_require AS
SELECT a.Host, a.User,
  CAST(CASE a.ssl_type
    WHEN 1 THEN 'SSL'
    WHEN 2 THEN 'X509'
    WHEN 3 THEN COALESCE(NULLIF(CONCAT_WS(' AND ',
        IF(a.cipher <> '', CONCAT('CIPHER ', k.qt,
           REPLACE(REPLACE(a.cipher, k.bs, CONCAT(k.bs, k.bs)), k.qt, CONCAT(k.bs, k.qt)),
           k.qt), NULL),
        IF(a.issuer <> '', CONCAT('ISSUER ', k.qt,
           REPLACE(REPLACE(a.issuer, k.bs, CONCAT(k.bs, k.bs)), k.qt, CONCAT(k.bs, k.qt)),
           k.qt), NULL),
        IF(a.subject <> '', CONCAT('SUBJECT ', k.qt,
           REPLACE(REPLACE(a.subject, k.bs, CONCAT(k.bs, k.bs)), k.qt, CONCAT(k.bs, k.qt)),
           k.qt), NULL)), ''),
      CONCAT('CIPHER ', k.qt, k.qt))
    ELSE 'NONE'
  END AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin AS Requirement
FROM (SELECT CONVERT(g.Host USING utf8mb3) COLLATE utf8mb3_general_ci AS Host,
             CONVERT(g.User USING utf8mb3) COLLATE utf8mb3_bin AS User,
             CAST(COALESCE(JSON_VALUE(g.Priv, '$.ssl_type'), '0') AS INTEGER) AS ssl_type,
             CONVERT(COALESCE(JSON_VALUE(g.Priv, '$.ssl_cipher'), '') USING utf8mb4) AS cipher,
             CONVERT(COALESCE(JSON_VALUE(g.Priv, '$.x509_issuer'), '') USING utf8mb4) AS issuer,
             CONVERT(COALESCE(JSON_VALUE(g.Priv, '$.x509_subject'), '') USING utf8mb4) AS subject
      FROM mysql.global_priv g
      WHERE COALESCE(JSON_EXTRACT(g.Priv, '$.is_role'), 'false') <> 'true') a,
     (SELECT CHAR(92 USING utf8mb4) AS bs, CHAR(39 USING utf8mb4) AS qt) k
