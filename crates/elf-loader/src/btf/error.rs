//! Why BTF could not be read: the object's `.BTF`/`.BTF.ext`, or a kernel's BTF file.
//! A leaf of the crate, so the BTF readers depend on nothing above them.

/// Why a `.BTF` or `.BTF.ext` section could not be read. Every variant says where:
/// the section, the type id and byte offset, or the table and byte offset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BtfError {
    /// The header is missing, of an unknown version, or points outside the section.
    #[error("section \"{section}\": malformed header: {reason}")]
    Header {
        /// ".BTF" or ".BTF.ext".
        section: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A type record is cut short, of an unknown kind, or refers to a missing type.
    #[error("section \".BTF\": type {id} (record at byte {offset}): {reason}")]
    Type {
        /// The type's id.
        id: u32,
        /// Byte offset of its record in the section.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A string offset outside the string table, or a string that is not UTF-8.
    #[error("section \".BTF\": string at offset {offset}: {reason}")]
    String {
        /// Offset in the string table.
        offset: u32,
        /// What is wrong.
        reason: String,
    },
    /// A type cannot be resolved (no such id, a loop, no size).
    #[error("section \".BTF\": type {id}: {reason}")]
    Resolve {
        /// The type's id.
        id: u32,
        /// What is wrong.
        reason: String,
    },
    /// A BTF file (a kernel's, or one named by the caller) could not be read.
    #[error("cannot read BTF from {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A `.BTF.ext` table is malformed.
    #[error("section \".BTF.ext\": {table} table, byte {offset}: {reason}")]
    Ext {
        /// "func_info", "line_info" or "core_relo".
        table: &'static str,
        /// Byte offset in that table.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
}
