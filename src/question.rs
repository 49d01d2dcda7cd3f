//! The question: what kind of answer a message asks for, and which treatment options it names.
//!
//! Intents and option ids are part of the public contract (CONTRACT.md §3), so they are closed
//! enums here; the words that signal them live in `intents/` and are checked against these names
//! at load.

use serde::Serialize;
use std::fmt;

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn from_name(name: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.name() == name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
    };
}

named_enum! {
    /// What kind of answer the message asks for. `Options` is the default.
    Intent {
        Options = "options",
        Eligibility = "eligibility",
        Compare = "compare",
        Toxicity = "toxicity",
        Evidence = "evidence",
        Help = "help",
    }
}

named_enum! {
    /// A treatment option of the catalogue (CONTRACT.md §3).
    OptionId {
        HepaticResection = "hepatic_resection",
        ThermalAblation = "thermal_ablation",
        IrreversibleElectroporation = "irreversible_electroporation",
        BlandEmbolization = "bland_embolization",
        Chemoembolization = "chemoembolization",
        Radioembolization = "radioembolization",
        PrrtLu177 = "prrt_lu177",
        SomatostatinAnalogue = "somatostatin_analogue",
        Everolimus = "everolimus",
        Sunitinib = "sunitinib",
        Cabozantinib = "cabozantinib",
        CapecitabineTemozolomide = "capecitabine_temozolomide",
        PlatinumEtoposide = "platinum_etoposide",
        LiverTransplant = "liver_transplant",
        ExternalBeamRadiotherapy = "external_beam_radiotherapy",
        BoneProtectingAgent = "bone_protecting_agent",
        ClinicalTrial = "clinical_trial",
        TumorBoard = "tumor_board",
    }
}

impl Intent {
    /// Whether the answer leads with the options the question names (eligibility, comparison,
    /// harms, evidence) rather than the whole list.
    pub fn is_about_named_options(self) -> bool {
        matches!(
            self,
            Intent::Eligibility | Intent::Compare | Intent::Toxicity | Intent::Evidence
        )
    }
}

/// The question a message asks: its intent, the options it names (in the order named) and how
/// much of the answer it wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    pub intent: Intent,
    pub options: Vec<OptionId>,
    /// A rendering choice, not part of the advice document.
    #[serde(skip)]
    pub detail: Detail,
}

/// How much of an answer to show. A quick answer — what a clinician on call reads at a glance —
/// gives each caveat as its one-line headline; the full answer gives every caveat whole. Asking
/// for "details", "caveats" or "sources" in the conversation gets the full one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    #[default]
    Quick,
    Full,
}

impl Default for Question {
    fn default() -> Self {
        Question {
            intent: Intent::Options,
            options: Vec::new(),
            detail: Detail::Quick,
        }
    }
}
