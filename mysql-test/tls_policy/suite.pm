package My::Suite::Tls_policy;

# The tls_policy suite needs the environment prepared by
# mysql-test/run-mtr.sh (certificates, a plugin dir with tls_policy.so).
@ISA = qw(My::Suite);

return "run through mysql-test/run-mtr.sh (TP_CERTS/TP_PLUGIN_DIR unset)"
  unless $ENV{TP_CERTS} && $ENV{TP_PLUGIN_DIR};

# Tests whose server options only make sense on some series, skipped before
# the server starts (the test's own --skip cannot run when the server
# refuses its options).
sub skip_combinations {
  my %skip;
  # tls_zero_config.opt clears the ssl-* options: 11.4+ then runs
  # zero-configuration TLS, 10.11 refuses to start ("SSL error: Unable to
  # get certificate").
  $skip{'t/tls_zero_config.test'} = 'Needs MariaDB 11.4 or later (zero-configuration TLS)'
    if $::mysql_version_id < 110400;
  %skip;
}

bless { };
