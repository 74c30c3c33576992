/*
 * services.h — copies of the server's service pointers that the server does
 * not reset when it releases the library (services.c).
 */
#ifndef TLS_POLICY_SERVICES_H
#define TLS_POLICY_SERVICES_H

/* Takes the copies.  Called first thing at every init (the server has
 * written the pointers by then; an INSTALL after an UNINSTALL writes them
 * again, to the same structures). */
void tlsp_services_pin(void);

#endif
