//! Async work that belongs to the component that started it. A request answered after
//! its form was closed or its page left must not touch that component's signals or
//! callbacks (they are gone, and running a disposed callback panics): such work is
//! dropped with the component.

use std::future::Future;

use leptos::prelude::{IsDisposed, Owner, StoredValue, WithValue};
use leptos::task::{spawn_local, spawn_local_scoped_with_cancellation};

/// The reactive owner of the component being built; `spawn` from its event handlers
/// (which run outside any owner) ties the task to it.
#[derive(Clone, Copy)]
pub struct Scope(StoredValue<Option<Owner>>);

impl Scope {
    /// Call in the component's body.
    pub fn here() -> Self {
        Scope(StoredValue::new(Owner::current()))
    }

    /// Run `task`; cancelled at its next await once the component is cleaned up.
    pub fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        match self.0.try_with_value(Clone::clone).flatten() {
            Some(owner) => owner.with(|| spawn_local_scoped_with_cancellation(task)),
            // Already gone: nothing left to update.
            None if self.0.is_disposed() => {}
            None => spawn_local(task),
        }
    }
}
