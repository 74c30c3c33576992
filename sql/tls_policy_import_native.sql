-- mysql.tls_policy_import_native(): makes the rows of mysql.tls_policy with
-- Origin 'NATIVE' mirror the native REQUIRE setting of every account
--     CALL mysql.tls_policy_import_native();
-- (docs/sql-objects.md).  Afterwards each account has exactly one NATIVE row
-- with its setting (mysql.tls_policy_native_require), except accounts whose
-- (Host, User) has an ADMIN row: rows of one (Host, User) are alternatives,
-- so a NATIVE row beside an ADMIN row could only weaken it; the ADMIN rows
-- govern such an account alone.  Unchanged rows keep their Id, Mode and
-- Comment.
--
-- The procedure runs with the caller's privileges and in the caller's
-- transaction (it neither starts nor commits one).  Under autocommit each
-- of its three statements commits by itself, and every state in between
-- leaves each account with its old or its new rule, never none.  Its writes
-- are binary-logged as the caller's session decides (sql_log_bin).
CREATE OR REPLACE DEFINER='mariadb.sys'@'localhost'
PROCEDURE mysql.tls_policy_import_native()
  MODIFIES SQL DATA
  SQL SECURITY INVOKER
  COMMENT 'Copies every account''s native REQUIRE into mysql.tls_policy (Origin NATIVE)'
BEGIN
  -- NATIVE rows of dropped accounts, of pairs that have an ADMIN row, and
  -- duplicates (the lowest Id of a pair stays).
  DELETE FROM mysql.tls_policy
  WHERE Origin = 'NATIVE'
    AND (NOT EXISTS (SELECT 1 FROM mysql.tls_policy_native_require n
                     WHERE n.Host = mysql.tls_policy.Host
                       AND n.User = mysql.tls_policy.User)
         OR EXISTS (SELECT 1 FROM mysql.tls_policy o
                    WHERE o.Host = mysql.tls_policy.Host
                      AND o.User = mysql.tls_policy.User
                      AND (o.Origin = 'ADMIN'
                           OR (o.Origin = 'NATIVE' AND o.Id < mysql.tls_policy.Id))));
  -- Changed settings: rewritten in place.
  UPDATE mysql.tls_policy p
    JOIN mysql.tls_policy_native_require n ON n.Host = p.Host AND n.User = p.User
  SET p.Requirement = n.Requirement
  WHERE p.Origin = 'NATIVE' AND p.Requirement <> n.Requirement;
  -- Accounts without any row.
  INSERT INTO mysql.tls_policy (Host, User, Requirement, Mode, Origin, Comment)
  SELECT n.Host, n.User, n.Requirement, 'ENFORCE', 'NATIVE',
         'imported from CREATE USER ... REQUIRE'
  FROM mysql.tls_policy_native_require n
  WHERE NOT EXISTS (SELECT 1 FROM mysql.tls_policy p
                    WHERE p.Host = n.Host AND p.User = n.User)
  ORDER BY n.User, n.Host;
END
