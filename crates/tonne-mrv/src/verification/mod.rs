//! Third-party verification: the material-misstatement algorithm and the verification
//! workflow (bodies, verifiers, conflict of interest, assignment, findings, statement).

pub mod materiality;
pub mod workflow;
