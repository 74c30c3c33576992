-- mysql.tls_policy: per-account transport requirements read by the
-- tls_policy plugin.  The plugin creates this table when it is missing
-- (INSTALL SONAME, or server start with the plugin); this file is the same
-- DDL for DBAs who want to create it themselves, e.g. on a replica first.
-- Columns are documented in docs/reference.md.
CREATE TABLE IF NOT EXISTS mysql.tls_policy (
  Id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT
    COMMENT 'row identifier; several rows per account are alternatives',
  Host VARCHAR(255) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci NOT NULL DEFAULT '%'
    COMMENT 'host pattern as in CREATE USER (%, _, IP/netmask, CIDR)',
  User VARCHAR(128) CHARACTER SET utf8mb3 COLLATE utf8mb3_bin NOT NULL DEFAULT ''
    COMMENT 'user name; empty matches any user',
  Requirement TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL
    COMMENT 'what follows REQUIRE in CREATE USER, plus tls_policy extensions',
  Mode ENUM('ENFORCE','REPORT') NOT NULL DEFAULT 'ENFORCE'
    COMMENT 'REPORT: evaluated and logged, never denies',
  Origin ENUM('ADMIN','NATIVE') NOT NULL DEFAULT 'ADMIN'
    COMMENT 'NATIVE: imported or mirrored from CREATE USER ... REQUIRE',
  Comment VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT '',
  Created TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  Changed TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (Id),
  KEY account (User, Host)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='tls_policy per-account TLS requirements';
