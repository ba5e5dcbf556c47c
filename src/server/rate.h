/* Per-user request rate: a token bucket each, refilled at `rate` tokens a
 * second up to a burst of twice as many. */
#ifndef PICKETD_RATE_H
#define PICKETD_RATE_H

/* Sets the rate (requests per second; 0 turns limiting off). */
void srv_rate_init(int rate);
void srv_rate_free(void);
/* Takes one token from `user`'s bucket: returns 0 when allowed, else the
 * whole seconds to wait before the next request may pass (>= 1). */
int srv_rate_take(const char *user);

#endif
