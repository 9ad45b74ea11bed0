//! The Salesforce REST API emulator.
