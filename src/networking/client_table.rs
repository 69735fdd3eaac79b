//! The client table: C's `server.clients` list (and `clients_index`), keyed
//! by client id, in id order, which is also the order C's list has.
//!
//! Why it exists: a command is `fn(server: &mut RedisServer, c: &mut
//! Client)`, as in C, and Rust cannot hand out both while the client stays
//! inside the server. So the table lends the running client out
//! (`lend`) and takes it back afterwards (`give_back`). While it is out,
//! its slot stays where it was and says "running": counts (`len`) and
//! walks by id still see it, and what other code aims at it meanwhile (a
//! Pub/Sub message, a MONITOR line, CLIENT_DIRTY_CAS, a close request) is
//! collected in the slot, in order, and handed over when the client comes
//! back to a point where it can take it (see `networking::apply_deferred`).
//! Code that reaches a client by id asks `get_mut` and gets one of
//! `Lookup::Here`, `Lookup::Running` or `Lookup::Gone`.
//!
//! The one exception runs the other way: general code that must see and
//! change the running client itself, as C's list walks do (counting the
//! good replicas, starting a BGSAVE for the replica that runs SYNC,
//! reading the running master's db for an RDB, sending the running
//! master an ACK), is run through `with_running_in_table`, which puts the
//! running client back in its slot for the duration. That code then finds
//! it `Here` like any other client, so it needs no `cur` parameter and no
//! "is it the caller?" branch; there is one function per C function.
//!
//! Ports no C file: it is the shape C's pointer list takes here.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::server::{Client, ClientId, RedisServer};

/// Something aimed at a running client, kept in its slot until the client
/// is handed back or flushes its slot. (no C twin: C writes through the
/// client pointer at once)
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Bytes to append to its output: a Pub/Sub message, a MONITOR line.
    Reply(Vec<u8>),
    /// Flags to set: CLIENT_DIRTY_CAS, when a key it WATCHes is touched;
    /// CLIENT_CLOSE_ASAP, when it is freed asynchronously.
    Flags(u64),
}

/// What a running slot has collected. (no C twin)
#[derive(Default)]
pub(crate) struct Deferred {
    /// The effects, in the order they happened.
    pub(crate) effects: Vec<Effect>,
    /// The client's mailbox, shared with it while it runs (see
    /// `Client::mailbox`): replies go there instead of to `effects`.
    pub(crate) mailbox: Option<Rc<Cell<Vec<u8>>>>,
    /// freeClient() was called on it: free it when it is handed back.
    pub(crate) free: bool,
}

/// A slot of the table. (no C twin)
pub(crate) enum Slot {
    /// The client is in the table.
    Here(Box<Client>),
    /// The client is lent out: it is running a command. What is aimed at
    /// it is allocated on the first effect, so that a slot stays two
    /// words and lending allocates nothing.
    Running(Option<Box<Deferred>>),
}

/// The answer to "where is client `id`?". (no C twin)
pub(crate) enum Lookup<'a> {
    Here(&'a mut Client),
    Running(RunningSlot<'a>),
    Gone,
}

/// The slot of a running client, as `Lookup::Running` gives it. (no C
/// twin)
pub(crate) struct RunningSlot<'a> {
    deferred: &'a mut Option<Box<Deferred>>,
    pending: &'a mut usize,
    freeing: &'a mut usize,
}

impl RunningSlot<'_> {
    /// Collects `effect` for the client, to be applied in order.
    pub(crate) fn defer(&mut self, effect: Effect) {
        let d = self.deferred.get_or_insert_with(Default::default);
        if let (Effect::Reply(msg), Some(mb)) = (&effect, &d.mailbox) {
            let mut v = mb.take();
            v.extend_from_slice(msg);
            mb.set(v);
            return;
        }
        d.effects.push(effect);
        *self.pending += 1;
    }

    /// Asks for the client to be freed when it is handed back.
    pub(crate) fn free_on_return(&mut self) {
        let d = self.deferred.get_or_insert_with(Default::default);
        if !d.free {
            d.free = true;
            *self.freeing += 1;
        }
    }
}

/// C's `server.clients`. See the module doc. (no C twin)
// Divergence from C: the running client is lent out, not in the list, so
// what is aimed at it waits in its slot until it can take it.
#[derive(Default)]
pub struct ClientTable {
    slots: BTreeMap<ClientId, Slot>,
    /// Effects waiting in running slots, and running slots asked to free
    /// their client, so that the checks made around every command cost
    /// one comparison when there are none.
    pending: usize,
    freeing: usize,
    /// Running clients put back in their slots by `with_running_in_table`,
    /// innermost last, with what their running slot held meanwhile.
    visits: Vec<(ClientId, Option<Box<Deferred>>)>,
    /// The boxed blank client `with_running_in_table` swaps with the
    /// running one, kept between calls: allocated once, so that INFO's
    /// used_memory (read inside such a call) does not count a transient
    /// 16 KiB client that C does not have.
    spare: Option<Box<Client>>,
}

impl ClientTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of clients, the running ones included: C's
    /// `listLength(server.clients)`.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Puts a new client in its slot: the list part of linkClient().
    /// (no C twin)
    pub(crate) fn insert(&mut self, c: Box<Client>) {
        self.slots.insert(c.id, Slot::Here(c));
    }

    /// Takes client `id` out for good, as freeClient() unlinks it. A
    /// running client is not here to take: it is freed when handed back
    /// (see `free_on_return`).
    pub(crate) fn remove(&mut self, id: &ClientId) -> Option<Box<Client>> {
        if self.visited(id).is_some() {
            return None;
        }
        match self.slots.get(id) {
            Some(Slot::Here(_)) => match self.slots.remove(id) {
                Some(Slot::Here(c)) => Some(c),
                _ => None,
            },
            _ => None,
        }
    }

    /// The client, if it is in the table (not running, not gone).
    pub fn get(&self, id: &ClientId) -> Option<&Client> {
        match self.slots.get(id) {
            Some(Slot::Here(c)) => Some(c),
            _ => None,
        }
    }

    /// Where client `id` is: here, running, or gone.
    pub(crate) fn get_mut(&mut self, id: &ClientId) -> Lookup<'_> {
        match self.slots.get_mut(id) {
            Some(Slot::Here(c)) => Lookup::Here(c),
            Some(Slot::Running(d)) => Lookup::Running(RunningSlot {
                deferred: d,
                pending: &mut self.pending,
                freeing: &mut self.freeing,
            }),
            None => Lookup::Gone,
        }
    }

    /// The client, if it is in the table, for code that has nothing to do
    /// for a running one (its own caller holds it).
    pub fn here_mut(&mut self, id: &ClientId) -> Option<&mut Client> {
        match self.slots.get_mut(id) {
            Some(Slot::Here(c)) => Some(c),
            _ => None,
        }
    }

    /// Shares `mailbox` between running client `id` and its slot (see
    /// `networking::open_mailbox`); nothing if `id` is not running.
    pub(crate) fn open_mailbox(
        &mut self,
        id: &ClientId,
        mailbox: Rc<Cell<Vec<u8>>>,
    ) {
        if let Some(Slot::Running(d)) = self.slots.get_mut(id) {
            d.get_or_insert_with(Default::default).mailbox = Some(mailbox);
        }
    }

    /// If client `id` is running (or put back for the duration by
    /// `with_running_in_table`), asks for it to be freed when it is handed
    /// back and returns true; otherwise false: it can be freed now.
    pub(crate) fn free_on_return(&mut self, id: &ClientId) -> bool {
        if let Some(i) = self.visited(id) {
            let d = self.visits[i].1.get_or_insert_with(Default::default);
            if !d.free {
                d.free = true;
                self.freeing += 1;
            }
            return true;
        }
        match self.get_mut(id) {
            Lookup::Running(mut slot) => {
                slot.free_on_return();
                true
            }
            _ => false,
        }
    }

    /// Where `id` is in `visits`, if it is there. One comparison when
    /// there are none, which is almost always.
    fn visited(&self, id: &ClientId) -> Option<usize> {
        if self.visits.is_empty() {
            return None;
        }
        self.visits.iter().rposition(|(v, _)| v == id)
    }

    /// Lends client `id` out; its slot says "running" until `give_back`.
    /// Replaces the slot's content in place: nothing moves, and nothing
    /// is allocated unless the client has a mailbox.
    pub(crate) fn lend(&mut self, id: &ClientId) -> Option<Box<Client>> {
        let slot = self.slots.get_mut(id)?;
        if let Slot::Running(_) = slot {
            return None;
        }
        match std::mem::replace(slot, Slot::Running(None)) {
            Slot::Here(c) => {
                // A receiver's slot shares its mailbox (Client::mailbox).
                if let (Some(mb), Slot::Running(d)) = (&c.mailbox, slot) {
                    *d = Some(Box::new(Deferred {
                        mailbox: Some(mb.clone()),
                        ..Default::default()
                    }));
                }
                Some(c)
            }
            Slot::Running(_) => None,
        }
    }

    /// Takes what was collected for running client `id` (effects and a
    /// pending free), leaving its slot running and empty.
    pub(crate) fn take_deferred(&mut self, id: &ClientId) -> Deferred {
        if self.pending == 0 && self.freeing == 0 {
            return Deferred::default();
        }
        match self.slots.get_mut(id) {
            Some(Slot::Running(Some(d))) => {
                self.pending -= d.effects.len();
                self.freeing -= usize::from(d.free);
                Deferred {
                    effects: std::mem::take(&mut d.effects),
                    mailbox: None,
                    free: std::mem::take(&mut d.free),
                }
            }
            _ => Deferred::default(),
        }
    }

    /// Puts a lent client back in its slot. Whatever its slot collected
    /// and was not taken is applied by the caller before, see
    /// `networking::give_back_client`, the only caller.
    pub(crate) fn give_back(&mut self, c: Box<Client>) {
        let id = c.id;
        if let Some(Slot::Running(Some(d))) =
            self.slots.insert(id, Slot::Here(c))
        {
            // Nothing should be left; drop it from the counts if it is.
            self.pending -= d.effects.len();
            self.freeing -= usize::from(d.free);
        }
    }

    /// Takes the effects collected so far for running client `id`,
    /// leaving its slot running. Costs one comparison when none wait.
    pub(crate) fn take_effects(&mut self, id: &ClientId) -> Vec<Effect> {
        if self.pending == 0 {
            return Vec::new();
        }
        match self.slots.get_mut(id) {
            Some(Slot::Running(Some(d))) => {
                self.pending -= d.effects.len();
                std::mem::take(&mut d.effects)
            }
            _ => Vec::new(),
        }
    }

    /// Every id, running clients included, in id order.
    pub fn ids(&self) -> impl Iterator<Item = ClientId> + '_ {
        self.slots.keys().copied()
    }

    /// The ids from `from` on, in id order, running clients included.
    pub(crate) fn ids_from(
        &self,
        from: ClientId,
    ) -> impl Iterator<Item = ClientId> + '_ {
        self.slots.range(from..).map(|(id, _)| *id)
    }

    /// The clients in the table, in id order, without the running ones.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Client> + '_ {
        self.slots.values().filter_map(|s| match s {
            Slot::Here(c) => Some(&**c),
            Slot::Running(_) => None,
        })
    }
}

/// Runs `f` with the running client `c` back in its slot, where `f` finds
/// it `Here` as it finds every other client, and lends it out again
/// afterwards. This is C's view, where the running client is simply in
/// the list: general code reached from a command (refreshGoodSlavesCount,
/// startBgsaveForReplication, rdbPopulateSaveInfo, replicationSendAck)
/// then needs no `cur` parameter. What its slot collected so far is
/// applied to `c` first, as C would already have written it; while it is
/// back, messages aimed at it reach its output at once, as in C. A free
/// asked meanwhile waits until it is handed back, as for any running
/// client. (no C twin)
///
/// Cost: `c`'s contents are swapped with a boxed blank client (its 16 KiB
/// `buf` included, allocated at the first call and kept as `spare`) and
/// back; this is for rare paths (SYNC/PSYNC, REPLCONF ACK/GETACK, SAVE/BGSAVE, a
/// FLUSHALL that saves, INFO, CLIENT LIST, ROLE, POST/Host:), never for
/// every command.
pub(crate) fn with_running_in_table<R>(
    server: &mut RedisServer,
    c: &mut Client,
    f: impl FnOnce(&mut RedisServer) -> R,
) -> R {
    let id = c.id;
    if !matches!(server.clients.slots.get(&id), Some(Slot::Running(_))) {
        // Not lent out: already put back by an outer call (the crash
        // report may find it so), or not in the table at all.
        // Nothing to put back.
        return f(server);
    }
    super::apply_deferred(server, c);
    let mut boxed = server.clients.spare.take().unwrap_or_else(|| {
        Box::new(super::new_client_struct(ClientId(0), -1, None, 0))
    });
    std::mem::swap(c, &mut *boxed);
    let t = &mut server.clients;
    let Some(Slot::Running(d)) = t.slots.insert(id, Slot::Here(boxed)) else {
        unreachable!()
    };
    t.visits.push((id, d));
    let r = f(server);
    let t = &mut server.clients;
    let (vid, d) = t.visits.pop().expect("with_running_in_table: visit");
    debug_assert_eq!(vid, id);
    match t.slots.insert(id, Slot::Running(d)) {
        Some(Slot::Here(mut boxed)) => {
            std::mem::swap(c, &mut *boxed);
            t.spare = Some(boxed);
        }
        _ => unreachable!("with_running_in_table: client {} left", id.0),
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::networking::{create_client, free_client, free_client_async};
    use crate::server::{init_server_config, CLIENT_CLOSE_ASAP};

    #[test]
    fn with_running_in_table_shows_the_running_client_here_and_lends_it_again()
    {
        let mut server = init_server_config();
        let id = create_client(&mut server, None).expect("fake client");
        let mut c = server.clients.lend(&id).expect("client in table");
        c.db = 7;
        assert!(server.clients.get(&id).is_none()); // running
        let db = with_running_in_table(&mut server, &mut c, |s| {
            // General code finds it Here and may change it, as in C.
            free_client_async(s, id);
            s.clients.get(&id).map(|c| c.db)
        });
        assert_eq!(db, Some(7));
        assert!(server.clients.get(&id).is_none()); // running again
        assert_ne!(c.flags & CLIENT_CLOSE_ASAP, 0);
        assert_eq!(server.clients_to_close, [id]);
        assert_eq!(c.db, 7);

        // A free asked while it is back waits until it is handed back.
        with_running_in_table(&mut server, &mut c, |s| free_client(s, id));
        assert_eq!(server.clients.len(), 1);
        let d = server.clients.take_deferred(&id);
        assert!(d.free);
        server.clients.give_back(c);
    }
}
