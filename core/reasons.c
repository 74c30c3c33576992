/* reasons.c — names and descriptions of the decision reason codes. */
#include "tls_policy/reasons.h"

static const char *const reason_names[] = {
#define TP_REASON_NAME(sym, name, text) name,
    TP_REASON_LIST(TP_REASON_NAME)
#undef TP_REASON_NAME
};

static const char *const reason_texts[] = {
#define TP_REASON_TEXT(sym, name, text) text,
    TP_REASON_LIST(TP_REASON_TEXT)
#undef TP_REASON_TEXT
};

const char *tlsp_reason_name(tlsp_reason reason)
{
  if ((unsigned) reason >= TP_REASON__COUNT)
    return "internal_error";
  return reason_names[reason];
}

const char *tlsp_reason_text(tlsp_reason reason)
{
  if ((unsigned) reason >= TP_REASON__COUNT)
    return "internal error";
  return reason_texts[reason];
}
