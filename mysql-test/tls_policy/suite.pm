package My::Suite::Tls_policy;

# The tls_policy suite needs the environment prepared by
# mysql-test/run-mtr.sh (certificates, a plugin dir with tls_policy.so).
@ISA = qw(My::Suite);

return "run through mysql-test/run-mtr.sh (TP_CERTS/TP_PLUGIN_DIR unset)"
  unless $ENV{TP_CERTS} && $ENV{TP_PLUGIN_DIR};

bless { };
