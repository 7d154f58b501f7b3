/* firmware_hold.h — the transaction actor's side of a firmware install
 * (CP_MSG_FIRMWARE_HOLD, messages/catalog.h): the firmware actor must not
 * cut a session, and no new one may start while it waits for the last to
 * end. Holding uses ChangeAvailability's own path (session.h): a free
 * connector goes Unavailable at once, a busy one when its transaction
 * ends (Scheduled), persisted like any availability change, so a reboot
 * in the middle keeps the connectors held. Kept apart from
 * transaction_actor.c: one handler, one file.
 */
#ifndef CP_ACTORS_TRANSACTION_FIRMWARE_HOLD_H
#define CP_ACTORS_TRANSACTION_FIRMWARE_HOLD_H

#include <stdbool.h>
#include <stdint.h>
#include "actors/transaction/session.h"

//  hold true: every operative connector goes (or is scheduled to go)
//  Unavailable; *held is the bit mask (bit n = connector n) of those this
//  call changed. hold false: the connectors in mask become operative.
//  *active: transactions still running on any connector.
void firmware_hold(session_t *session, int64_t now, bool hold, int64_t mask, int64_t *active, int64_t *held);
#endif
