# demo-more.sh — the second half of the guided tour; sourced by demo.sh
# (uses its step/say/sql/try helpers and $dir, $C, TCP, TLS).

step "Per-account rules in mysql.tls_policy (the CREATE USER ... REQUIRE language)"
ALICE_SUBJECT=$(openssl x509 -in "$C/alice-cert.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
CA1_SUBJECT=$(openssl x509 -in "$C/ca1.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
sql "CREATE OR REPLACE USER alice@'%' IDENTIFIED BY 'alice-pw'; GRANT SELECT ON *.* TO alice@'%'"
sql "INSERT INTO mysql.tls_policy (Host, User, Requirement, Comment) VALUES ('%', 'alice', 'SUBJECT ''$ALICE_SUBJECT'' AND ISSUER ''$CA1_SUBJECT''', 'alice needs her own certificate')"
try "alice, TLS without a certificate" -ualice -palice-pw "${TCP[@]}" "${TLS[@]}"
try "alice, bob's certificate" -ualice -palice-pw "${TCP[@]}" "${TLS[@]}" --ssl-cert="$C/bob-cert.pem" --ssl-key="$C/bob-key.pem"
try "alice, her certificate" -ualice -palice-pw "${TCP[@]}" "${TLS[@]}" --ssl-cert="$C/alice-cert.pem" --ssl-key="$C/alice-key.pem"
say "why the refusals (error log):"
grep "tls_policy: denied 'alice'" "$dir/error.log" | tail -2 | sed -e 's/^.*tls_policy: /  /'

step "A CA rotation without a flag day: a second row is an alternative"
sql "INSERT INTO mysql.tls_policy (Host, User, Requirement, Comment) VALUES ('%', 'alice', 'SUBJECT_DN ''CN=alice,O=Acme,C=FI'' AND ISSUER_DN ''CN=tls_policy test CA 2''', 'new CA, structured names')"
sql "SELECT Id, User, Valid, Canonical FROM mysql.tls_policy_rules WHERE User='alice'"

step "A rule that does not parse denies its account and says why"
sql "INSERT INTO mysql.tls_policy (Host, User, Requirement) VALUES ('%', 'app', 'SUBJECT ''unterminated')"
try "app over TLS (its only row is invalid)" -uapp -papp-pw "${TCP[@]}" "${TLS[@]}"
sql "SELECT Id, User, Error, Error_position FROM mysql.tls_policy_rules WHERE Valid = 0"
sql "DELETE FROM mysql.tls_policy WHERE User = 'app'"
try "app over TLS (row removed)" -uapp -papp-pw "${TCP[@]}" "${TLS[@]}"

step "Live TLS connections, as the plugin saw them"
mariadb --no-defaults -ualice -palice-pw "${TCP[@]}" "${TLS[@]}" --ssl-cert="$C/alice-cert.pem" --ssl-key="$C/alice-key.pem" -e "SELECT SLEEP(3)" >/dev/null &
sleep 1
sql "SELECT Id, User, Transport, Tls, Tls_version, Cipher, Cert_subject, Admitted_by FROM mysql.tls_policy_connections" || true
wait

step "Rotate the server certificate live (validated first; a broken one changes nothing)"
sql "SHOW GLOBAL STATUS WHERE Variable_name IN ('Tls_policy_server_cert_sha256','Tls_policy_tls_generation')"
printf '  root> SET GLOBAL tls_policy_ssl_cert = garbage; reload\n'
mariadb --no-defaults -uroot -S "$dir/mysqld.sock" -e "SET GLOBAL tls_policy_ssl_cert = '$C/garbage.pem'; SET GLOBAL tls_policy_ssl_key = '$C/server2-key.pem'; SET GLOBAL tls_policy_reload_tls_now = ON" 2>&1 | sed 's/^/  /' || true
try "TLS still works with the old certificate" -uapp -papp-pw "${TCP[@]}" "${TLS[@]}"
sql "SET GLOBAL tls_policy_ssl_cert = '$C/server2-cert.pem'; SET GLOBAL tls_policy_ssl_key = '$C/server2-key.pem'; SET GLOBAL tls_policy_reload_tls_now = ON"
sql "SHOW GLOBAL STATUS WHERE Variable_name IN ('Tls_policy_server_cert_sha256','Tls_policy_tls_generation','Tls_policy_tls_reloads','Tls_policy_tls_reload_failures')"
try "TLS with the new certificate" -uapp -papp-pw "${TCP[@]}" "${TLS[@]}"

step "Every counter, as monitoring sees it"
sql "SHOW GLOBAL STATUS WHERE Variable_name LIKE 'Tls_policy%' AND Variable_name NOT LIKE 'Tls_policy_would_deny%' AND (Variable_name NOT LIKE 'Tls_policy_denied%' OR Value > 0)"
