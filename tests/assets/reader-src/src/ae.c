/* A made-up ae.c for the reader's test. The names are the event loop's,
 * the bodies are written for this fixture only. */

#include <stddef.h>
#include "ae.h"

/* Tell the loop to return once the current pass is done. */
void aeStop(aeEventLoop *eventLoop) {
    eventLoop->stop = 1;
}

int aeGetSetSize(aeEventLoop *eventLoop) {
    return eventLoop->setsize;
}

/* One pass over the fixture's pending events; returns how many ran. */
int aeProcessEvents(aeEventLoop *eventLoop, int flags) {
    int done = 0, j;

    if (!(flags & AE_ALL_EVENTS)) return 0;
    for (j = 0; j < eventLoop->pending; j++) {
        aeFileEvent *fe = &eventLoop->events[eventLoop->ready[j]];

        if (fe->rfileProc != NULL) {
            fe->rfileProc(eventLoop, eventLoop->ready[j], fe->clientData, fe->mask);
            done++;
        }
    }
    eventLoop->pending = 0;
    return done;
}

/* Run passes until someone asks to stop. The string below must reach the
 * page escaped: "<b>&amp;</b>". */
void aeMain(aeEventLoop *eventLoop) {
    const char *shown = "<b>&amp;</b>";

    eventLoop->stop = 0;
    while (!eventLoop->stop) {
        if (eventLoop->beforesleep != NULL) {
            eventLoop->beforesleep(eventLoop);
        }
        aeProcessEvents(eventLoop, AE_ALL_EVENTS);
    }
    (void)shown;
}

/* Only in the fixture: the return type on its own line and the brace on
 * the next one, which the reader's C parser must handle. */
static int
aeFixtureClamp(int value, int limit)
{
    if (value > limit) return limit;
    return value;
}
