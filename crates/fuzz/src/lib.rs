//! # otproof-fuzz
//!
//! Protocol-aware robustness testing of a device's network interface, built from named,
//! swappable parts:
//! - **model** ([`model::ProtocolModel`]): message grammar as data (typed fields, domains,
//!   length and count rules) plus framing and the protocol's conformance oracle; one module
//!   per protocol ([`modbus`], [`mqtt`] for MQTT 3.1.1 and [`mqtt::v5`] for 5.0), with an
//!   optional session prelude run after every connect (the MQTT CONNECT);
//! - **sequences** ([`sequence`]): MQTT test cases of several packets on two sessions (each
//!   its own connection and CONNECT), judged across sessions; run as a phase after the
//!   single-packet cases;
//! - **generator** ([`model::MessageDef::generate`]): valid messages from the model;
//! - **mutators** ([`mutate`]): field-aware classes first, then byte-level havoc; every case
//!   names its field and class;
//! - **scheduler** ([`campaign::build_case`]): (message type x class) in order, each case
//!   derived from the seed and its index, so campaigns are reproducible and resumable;
//! - **feedback** ([`feedback`]): protocol limits tried after the first round; learning from
//!   answers (mapped address ranges found by a grid of reads and exact by bisection, count
//!   limits, a value dictionary) and cases placed at the learned boundaries;
//! - **grey-box feedback** ([`coverage`], optional): the edge coverage of a launched target
//!   built with coverage instrumentation and `support/otproof_cov.c` (a shared map of AFL
//!   hit counts); cases that take new edges form a corpus new cases are derived from;
//! - **CRCs** as derived fields ([`model::Rule::Crc`], [`model::Rule::CrcBlocks`]:
//!   CRC-16/MODBUS, CRC-16/DNP, per block);
//! - **executor** ([`exec::Session`]): async TCP with per-case timeouts, reconnects and a cap
//!   on what a hostile target can make us read; it records what each connection carried, both
//!   ways ([`exec::Wire`]);
//! - **accounting** ([`campaign::Verdict`]): a case counts only when delivered; more than 5 %
//!   undelivered (or none delivered) without a finding is inconclusive, never a pass;
//! - **monitors and oracles** ([`campaign`]): crash (target gone), hang (no answer and the
//!   health probe, on the case connection, fails), degradation (probe latency over a
//!   baseline), conformance (the model's oracle); a launched target's sanitizer report
//!   ([`process::SanitizerReport`]) is attached to its crash finding;
//! - **minimizer** (delta debugging on a finding's exact per-connection sequence, each
//!   candidate replayed exactly against a restarted target; when several connections were in
//!   flight as the target failed, each is tried and the finding names the one that
//!   reproduced);
//! - **findings** ([`campaign::Finding`]): one per root cause ([`campaign::signature`]:
//!   observed behaviour x response pattern, variable parts abstracted), variants counted,
//!   severity from the observed effect ([`campaign::Effect`], [`campaign::SEVERITY_RULE`]),
//!   and a [`campaign::Confirmation`] saying why it is or is not confirmed.
//!
//! **Server mode** ([`listen`]): otproof listens and plays the server to a client under
//! test, launched once per case; a [`listen::ClientModel`] (MQTT: [`mqtt_client`]) says how a
//! conforming server answers, where cases go (in place of an answer, or after the session is
//! set up) and which answers the client must close the connection on; crash (the client's
//! exit signal or crash report on stderr), hang (no acknowledgement of a liveness probe) and
//! conformance findings carry the exact answers of their session, replayable; crash and hang
//! findings are minimized (ddmin over the answers, then the case's body, each candidate
//! replayed on a freshly launched client). MQTT 5.0: [`mqtt::client5`].
//!
//! **CONNECT cases** ([`mqtt::connect`]): after a broker campaign, CONNECTs the version
//! forbids accepting, each on a fresh connection; a success CONNACK is a finding.
//!
//! Invariants: this crate never writes to the store or to files; it returns a
//! [`campaign::Report`] that callers turn into evidence. It only connects to the target it is
//! given, or, in server mode, listens where it is told. Nothing here panics on what a target
//! sends.

pub mod campaign;
pub mod coverage;
pub mod exec;
pub mod feedback;
pub mod listen;
pub mod modbus;
pub mod model;
pub mod mqtt;
pub mod mqtt_client;
pub mod mutate;
pub mod process;
pub mod rng;
pub mod sequence;
