//! Every UI string, in Spanish and English, behind one compile-time-checked key enum.
//!
//! A key missing a language, or a view naming a key that does not exist, is a compile
//! error. We chose this small table over `leptos_i18n`: the app needs two languages and
//! plain strings, and the table adds nothing to the bundle but the strings themselves.

use agentdesk_protocol::Locale;
use leptos::prelude::*;

macro_rules! messages {
    ($(#[$doc:meta])* enum $name:ident; $($key:ident => $es:literal, $en:literal;)*) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($key),* }

        impl $name {
            pub fn text(self, locale: Locale) -> &'static str {
                match (self, locale) {
                    $(($name::$key, Locale::Es) => $es, ($name::$key, Locale::En) => $en,)*
                }
            }
        }

        impl Text for $name {
            fn text(self, locale: Locale) -> &'static str {
                $name::text(self, locale)
            }
        }
    };
}

/// A table of UI strings ([`Msg`], [`OfficeMsg`]).
pub trait Text: Copy {
    fn text(self, locale: Locale) -> &'static str;
}

messages! {
    /// A UI string of either app. `Msg::X.text(locale)` gives it in that language.
    enum Msg;
    AppName => "agentdesk", "agentdesk";
    Tagline => "Escritorio del agente", "Agent desktop";
    SignInTitle => "Iniciar sesión", "Sign in";
    Username => "Usuario", "Username";
    Password => "Contraseña", "Password";
    SignIn => "Entrar", "Sign in";
    SigningIn => "Entrando…", "Signing in…";
    WrongCredentials => "Usuario o contraseña incorrectos.", "Wrong username or password.";
    TooManyAttempts => "Demasiados intentos. Vuelve a intentarlo en {n} segundos.", "Too many attempts. Try again in {n} seconds.";
    NetworkError => "No se pudo conectar con el servidor. Revisa tu conexión.", "Could not reach the server. Check your connection.";
    ServerError => "El servidor tuvo un problema. Inténtalo de nuevo.", "The server had a problem. Please try again.";
    BridgeMalformed => "El CRM envió un pedido que no se pudo leer.", "The CRM sent a request that could not be read.";
    BridgeNoActiveCall => "No hay ninguna llamada en curso.", "There is no call in progress.";
    BridgeUnknownDisposition => "Esa tipificación no está en el árbol de la campaña {campaign}. Elige una de sus opciones.", "That disposition is not in campaign {campaign}'s tree. Choose one of its options.";
    BridgeUnknownCampaign => "La campaña {campaign} no existe aquí. Pide a un administrador que la cree.", "Campaign {campaign} does not exist here. Ask an admin to create it.";
    BridgeCallInProgress => "Ya hay una llamada en curso. Cuelga antes de llamar de nuevo.", "A call is already in progress. Hang up before calling again.";
    BridgeDuplicateCall => "Esa llamada ya se hizo; el CRM la envió dos veces.", "That call was already made; the CRM sent it twice.";
    BridgeDispositionRequired => "Tipifica la llamada anterior antes de hacer otra.", "Disposition the previous call before making another.";
    BridgeNoTab => "No hay ninguna ficha de contacto abierta para cerrar.", "There is no contact tab open to close.";
    SessionExpired => "Tu sesión terminó. Vuelve a entrar.", "Your session ended. Please sign in again.";
    Language => "Idioma", "Language";
    ChangeMyPassword => "Cambiar mi contraseña", "Change my password";
    SignOut => "Salir", "Sign out";
    Contacts => "Contactos", "Contacts";
    SearchContacts => "Buscar por nombre, teléfono o email", "Search by name, phone or email";
    SearchLabel => "Buscar contactos", "Search contacts";
    NoContacts => "Ningún contacto coincide con la búsqueda.", "No contact matches your search.";
    LoadMore => "Cargar más", "Load more";
    Loading => "Cargando…", "Loading…";
    Retry => "Reintentar", "Retry";
    Status => "Estado", "Status";
    StatusSoon => "Sin estado", "No status";
    Team => "Equipo", "Team";
    Teams => "Equipos", "Teams";
    Phone => "Teléfono", "Phone";
    Email => "Email", "Email";
    ExternalId => "ID externo", "External ID";
    LastActivity => "Última actividad", "Last activity";
    Never => "Nunca", "Never";
    TabActivity => "Actividad", "Activity";
    TabDetails => "Detalles", "Details";
    TabCrm => "CRM", "CRM";
    TabAnalytics => "Análisis", "Analytics";
    NoInteractions => "Sin interacciones en los últimos 12 meses.", "No interactions in the last 12 months.";
    Interactions => "Interacciones (12 meses)", "Interactions (12 months)";
    InboundOutbound => "Entrantes / salientes", "Inbound / outbound";
    FirstResponse => "Primera respuesta (mediana)", "First response (median)";
    LastContact => "Último contacto", "Last contact";
    ChannelMix => "Canales", "Channels";
    PerMonth => "Por mes", "Per month";
    ContactNotFound => "Este contacto no existe o no pertenece a tus equipos.", "This contact does not exist or is not in your teams.";
    BackToContacts => "Volver a contactos", "Back to contacts";
    NoActivities => "Este contacto aún no tiene actividad.", "This contact has no activity yet.";
    NewestActivities => "Actividad más reciente", "Latest activity";
    ActivitiesTotal => "1 actividad en total|{n} actividades en total", "1 activity in all|{n} activities in all";
    MatchesCapped => "Más de {n} coincidencias: se muestran las {n} más recientes. Agrega palabras o filtra por tipo para acotar.", "More than {n} matches: the newest {n} are shown. Add words or filter by kind to narrow it down.";
    Attributes => "Atributos", "Attributes";
    NoAttributes => "Sin atributos.", "No attributes.";
    CreatedAt => "Creado", "Created";
    CrmNotConfigured => "Aún no hay un CRM configurado. Un administrador puede definir la URL del CRM y sus orígenes permitidos.", "No CRM is configured yet. An administrator can set the CRM URL and its allowed origins.";
    KindEmail => "Email", "Email";
    KindChat => "Chat", "Chat";
    KindTicket => "Ticket", "Ticket";
    KindCall => "Llamada", "Call";
    KindSms => "SMS", "SMS";
    Inbound => "Entrante", "Inbound";
    Outbound => "Saliente", "Outbound";
    EmailHidden => "Contenido oculto: no tienes permiso de email.", "Content hidden: you lack the email permission.";
    StatusSent => "Enviado", "Sent";
    StatusFailed => "Falló", "Failed";
    StatusQueued => "En cola", "Queued";
    StatusDraft => "Borrador", "Draft";
    TicketOpen => "Abierto", "Open";
    TicketPending => "Pendiente", "Pending";
    TicketSolved => "Resuelto", "Solved";
    TicketClosed => "Cerrado", "Closed";
    TicketCreated => "Ticket creado", "Ticket created";
    TicketChanged => "Cambio de estado", "Status changed";
    TicketClosedEvent => "Ticket cerrado", "Ticket closed";
    Messages => "mensajes", "messages";
    NotAnswered => "No atendida", "Not answered";
    CallInProgress => "En curso", "In progress";
    SyncPending => "Enviando a uContact…", "Sending to uContact…";
    SyncSent => "Enviada a uContact", "Sent to uContact";
    SyncFailed => "No se pudo enviar a uContact", "Not sent to uContact";
    CallBusy => "Ocupado", "Busy";
    CallFailed => "Fallida", "Failed";
    System => "Sistema", "System";
    Customer => "Cliente", "Customer";
    PageNotFound => "Página no encontrada.", "Page not found.";
    SkipToContent => "Saltar al contenido", "Skip to content";
    UserMenu => "Usuario", "User";
    KindNote => "Nota", "Note";
    KindFollowUp => "Seguimiento", "Follow-up";
    Automated => "Automático", "Automated";
    DeliveryInApp => "En la aplicación", "In-app";
    DeliveryWebhook => "Webhook", "Webhook";
    Notifications => "Notificaciones", "Notifications";
    NotificationsUnread => "{n} sin leer|{n} sin leer", "{n} unread|{n} unread";
    NoNotifications => "No tienes notificaciones.", "You have no notifications.";
    MarkRead => "Marcar leída", "Mark read";
    MarkAllRead => "Marcar todas leídas", "Mark all read";
    FollowUps => "Seguimientos automáticos", "Automated follow-ups";
    Users => "Usuarios", "Users";
    SearchHistory => "Buscar en el historial", "Search the history";
    FilterByKind => "Filtrar por tipo", "Filter by kind";
    AllKinds => "Todo", "All";
    NewActivities => "1 nueva: ver la más reciente|{n} nuevas: ver las más recientes", "1 new: show it|{n} new: show the latest";
    StatusPendingHint => "Se aplicará al terminar la llamada", "Applied when the call ends";
    StatusCancelPending => "Cancelar el cambio pendiente", "Cancel the pending change";
    StatusChangeFailed => "No se pudo cambiar el estado.", "Could not change the status.";
    Board => "Tablero", "Board";
    Reports => "Reportes", "Reports";
    From => "Desde", "From";
    To => "Hasta", "To";
    LiveOn => "En vivo", "Live";
    LiveOff => "Reconectando…", "Reconnecting…";
    NoMatches => "Nada coincide con la búsqueda o el filtro.", "Nothing matches the search or filter.";
    FirstPage => "Primera página", "First page";
    PreviousPage => "Página anterior", "Previous page";
    NextPage => "Página siguiente", "Next page";
    LastPage => "Última página", "Last page";
    Pages => "Páginas", "Pages";
    PageOf => "Página {n} de {m}", "Page {n} of {m}";
    AddNote => "Agregar nota", "Add note";
    AddNotePlaceholder => "Escribe una nota sobre este contacto…", "Write a note about this contact…";
    ConfirmDelete => "¿Eliminar esta actividad del historial?", "Delete this activity from the history?";
    Delete => "Eliminar", "Delete";
    Recording => "Grabación de la llamada", "Call recording";
    Source => "Origen", "Source";
    ShowSource => "Detalle de origen", "Source details";
    When => "Fecha", "When";
    ConversationAttributes => "Datos de la conversación", "Conversation details";
    CustomerAttributes => "Datos del cliente", "Customer details";
    AttrPlan => "Plan", "Plan";
    AttrSegment => "Segmento", "Segment";
    AttrCity => "Ciudad", "City";
    AttrDocumentId => "Documento", "ID document";
    AttrBirthDate => "Fecha de nacimiento", "Date of birth";
    AttrCustomerSince => "Cliente desde", "Customer since";
    AttrLifetimeValue => "Valor del cliente", "Lifetime value";
    AttrReason => "Motivo", "Reason";
    AttrOrderId => "Pedido", "Order";
    AttrPromisedDate => "Fecha prometida", "Promised date";
    AttrAmount => "Importe", "Amount";
    JustNow => "ahora", "just now";
    Admin => "Administración", "Admin";
    Save => "Guardar", "Save";
    CrmTemplate => "URL del CRM", "CRM URL";
    CrmOrigins => "Otros orígenes permitidos del CRM (uno por línea)", "Further allowed CRM origins (one per line)";
    UcontactOrigin => "Origen de uContact", "uContact origin";
    FrameSandbox => "Sandbox del marco del CRM (atributos allow-…, separados por espacios)", "CRM frame sandbox (allow-… tokens, space-separated)";
    FrameAllow => "Permisos delegados al CRM (allow=, p. ej. clipboard-write microphone)", "Features delegated to the CRM (allow=, e.g. clipboard-write microphone)";
    InteractionAssigned => "Interacción asignada", "Interaction assigned";
    InteractionFinished => "Interacción finalizada", "Interaction finished";
    DispositionTree => "Árbol de tipificaciones (dos espacios por nivel, hasta 3 niveles; «[callback]» al final de una línea pide agendar una rellamada)", "Disposition tree (two spaces per level, up to 3 levels; «[callback]» at the end of a line asks to schedule a callback)";
    OpenContacts => "Contactos abiertos", "Open contacts";
    CloseTab => "Cerrar pestaña", "Close tab";
    Dismiss => "Descartar", "Dismiss";
    InCall => "En llamada", "In call";
    Duration => "Duración", "Duration";
    HangUp => "Colgar", "Hang up";
    WrapUp => "Tipificar la llamada", "Wrap up the call";
    Level1 => "Nivel 1", "Level 1";
    Level2 => "Nivel 2", "Level 2";
    Level3 => "Nivel 3", "Level 3";
    Comment => "Comentario", "Comment";
    SaveDisposition => "Guardar tipificación", "Save disposition";
    CallbackAt => "Volver a llamar el", "Call back on";
    CallbackNote => "Nota para la rellamada", "Callback note";
    CallbackInPast => "Elige un momento posterior a ahora.", "Choose a time later than now.";
    Callbacks => "Rellamadas", "Callbacks";
    CallbacksDue => "{n} rellamada pendiente|{n} rellamadas pendientes", "{n} callback due|{n} callbacks due";
    NoCallbacks => "No tienes rellamadas agendadas.", "You have no callbacks scheduled.";
    CallbackNow => "Hora de volver a llamar a {name}", "Time to call back {name}";
    MarkDone => "Hecho", "Done";
    OpenContact => "Abrir contacto", "Open contact";
    ActionRunning => "{label}: enviando…", "{label}: sending…";
    ActionDone => "{label}: hecho", "{label}: done";
    ActionFailed => "{label}: falló ({why}). Puedes reintentar.", "{label}: failed ({why}). You can try again.";
    CallNumber => "Llamar", "Call";
    CallCampaign => "Campaña", "Campaign";
    Launching => "Abriendo la interacción…", "Opening the interaction…";
    CrmFrameTitle => "CRM del cliente", "Customer CRM";
    Compact => "Compacta", "Compact";
    FieldLabelD1 => "Nombre del campo d1 en la tipificación", "Name of the disposition's d1 field";
    FieldLabelD2 => "Nombre del campo d2 en la tipificación", "Name of the disposition's d2 field";
    CampaignTeams => "Equipos que la usan (ninguno marcado: todos)", "Teams that use it (none ticked: all)";
    ErrForbidden => "Tu rol no permite hacer esto. Si lo necesitas, pídeselo a un administrador.", "Your role does not allow this. If you need it, ask an administrator.";
    ErrNotFound => "Eso ya no existe o no pertenece a tus equipos. Recarga la página.", "That no longer exists or is not in your teams. Reload the page.";
    ErrConflict => "Eso ya existe o cambió mientras tanto. Recarga e inténtalo de nuevo.", "That already exists or changed meanwhile. Reload and try again.";
    ErrTooLarge => "Es demasiado grande para enviarlo. Acórtalo e inténtalo de nuevo.", "It is too large to send. Shorten it and try again.";
    ErrBadRequest => "El pedido no se pudo leer. Recarga la página e inténtalo de nuevo.", "The request could not be read. Reload the page and try again.";
    ErrInvalid => "Un valor no es válido. Revisa el formulario.", "A value is not valid. Check the form.";
    ErrInvalidField => "Revisa «{field}»: el valor no es válido.", "Check “{field}”: the value is not valid.";
    Name => "Nombre", "Name";
    Cancel => "Cancelar", "Cancel";
    NewContact => "Nuevo contacto", "New contact";
    EditContact => "Editar contacto", "Edit contact";
    Edit => "Editar", "Edit";
    AttributesHelp => "Atributos (uno por línea: nombre: valor)", "Attributes (one per line: name: value)";
    AttributesLine => "Línea {n} de los atributos: escribe nombre: valor.", "Attributes line {n}: write name: value.";
    GoToDate => "Ir a la fecha", "Go to date";
    WrapUpTime => "Tiempo tipificando", "Time in wrap-up";
    Dial => "Marcar", "Dial";
    DialTitle => "Llamar a un número", "Call a number";
    DialKeys => "Teclado", "Keypad";
    DialErase => "Borrar", "Erase";
    DialEmpty => "Escribe el número a llamar.", "Type the number to call.";
    DialCharacters => "Solo dígitos, espacios, - . / ( ) y un + al inicio.", "Only digits, spaces, - . / ( ) and a leading +.";
    DialTooShort => "El número tiene menos de 3 dígitos.", "The number has fewer than 3 digits.";
    DialTooLong => "El número tiene más de 15 dígitos.", "The number has more than 15 digits.";
    DialNoCampaign => "Elige la campaña de la llamada.", "Choose the call's campaign.";
    DialInvalidNumber => "Ese número no se puede marcar. Revísalo e inténtalo de nuevo.", "That number cannot be dialled. Check it and try again.";
    CompactHint => "Una línea por actividad", "One line per activity";
    WriteEmail => "Escribir email", "Write e-mail";
    ReplyEmail => "Responder", "Reply";
    ContinueDraft => "Seguir escribiendo", "Continue writing";
    RetrySend => "Reintentar el envío", "Retry sending";
    EmailFrom => "De", "From";
    EmailTo => "Para", "To";
    EmailSubject => "Asunto", "Subject";
    EmailBody => "Mensaje", "Message";
    EmailBold => "Negrita", "Bold";
    EmailItalic => "Cursiva", "Italic";
    EmailLink => "Enlace", "Link";
    EmailSend => "Enviar", "Send";
    EmailSending => "Enviando…", "Sending…";
    EmailDiscard => "Descartar", "Discard";
    EmailClose => "Cerrar", "Close";
    EmailDraftSaving => "Guardando borrador…", "Saving draft…";
    EmailDraftSaved => "Borrador guardado.", "Draft saved.";
    EmailNewAddress => "Es una dirección nueva de este contacto (queda registrado)", "It is a new address of this contact (this is logged)";
    EmailNoSender => "Este equipo aún no tiene una dirección de envío: pide a un administrador que agregue una.", "This team has no sender address yet: ask an admin to add one.";
    EmailToInvalid => "Escribe una sola dirección, como nombre@ejemplo.com.", "Type one address, like name@example.com.";
    EmailToMissing => "Indica a quién va el mensaje.", "Say who the message is for.";
    EmailToUnknown => "Esa dirección no es de este contacto: márcala como nueva para usarla.", "That address is not this contact's: mark it as new to use it.";
    EmailSubjectInvalid => "El asunto debe ser una sola línea de hasta 998 caracteres, y no puede quedar vacío al enviar.", "The subject must be one line of up to 998 characters, and not empty when sending.";
    EmailBodyInvalid => "El mensaje es demasiado largo (máximo 100.000 caracteres).", "The message is too long (at most 100,000 characters).";
    EmailQuote => "El {date}, {who} escribió:", "On {date}, {who} wrote:";
    EmailFailedBecause => "No se envió: {reason}", "Not sent: {reason}";
    EmailWillRetry => "Intento {n} falló ({reason}); se reintenta solo.", "Attempt {n} failed ({reason}); it will be retried.";
    EmailMarksHint => "**negrita**, _cursiva_, [texto](https://…)", "**bold**, _italic_, [text](https://…)";
    EmailSignature => "Mi firma", "My signature";
    EmailSignatureSaved => "Firma guardada: va en los próximos mensajes.", "Signature saved: it goes in your next messages.";
    EmailAttach => "Adjuntar archivos", "Attach files";
    FileUploading => "Subiendo {name}…", "Uploading {name}…";
    FileRemove => "Quitar", "Remove";
    FileNameRefused => "ese nombre de archivo no se puede enviar (sin / \\ : * ? \" < > |, sin punto final ni caracteres de control).", "that file name cannot be sent (no / \\ : * ? \" < > |, no trailing dot or control characters).";
    FileProgramRefused => "los programas y scripts no se pueden enviar por correo.", "programs and scripts cannot be sent by e-mail.";
    FilesTooLarge => "los archivos de un mensaje pueden pesar {max} en total.", "a message's files may weigh {max} together.";
    FilesTooMany => "un mensaje lleva como máximo {n} archivos.", "a message carries at most {n} files.";
}

mod office;
pub use office::OfficeMsg;

/// The current UI language, shared through context.
#[derive(Clone, Copy)]
pub struct I18n {
    pub locale: RwSignal<Locale>,
}

impl I18n {
    /// A reactive read: views re-render when the language changes.
    pub fn t(&self, msg: impl Text) -> &'static str {
        msg.text(self.locale.get())
    }

    /// A counted message: its plural form for `n` (a message may hold `one|other`
    /// forms, chosen by the language's plural rules) with `{n}` grouped by thousands.
    pub fn tn(&self, msg: impl Text, n: impl Into<u64>) -> String {
        let n = n.into();
        let locale = self.locale.get();
        plural_form(msg.text(locale), is_one(locale, n)).replace("{n}", &self.count(n))
    }

    /// A count with the language's thousands separator (1.000 / 1,000).
    pub fn count(&self, n: u64) -> String {
        let sep = match self.locale.get() {
            Locale::Es => '.',
            Locale::En => ',',
        };
        group_digits(n, sep)
    }
}

fn group_digits(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// The `one` or `other` form of a message written `one|other` (a message without `|`
/// has one form for every count).
fn plural_form(text: &str, one: bool) -> &str {
    match text.split_once('|') {
        Some((singular, _)) if one => singular,
        Some((_, plural)) => plural,
        None => text,
    }
}

/// Whether `n` takes the `one` form: the browser's `Intl.PluralRules` decides (the
/// same rules every page of the browser follows); without a browser, es and en both say
/// "one" for exactly 1.
fn is_one(locale: Locale, n: u64) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        let locales = js_sys::Array::of1(&locale.as_str().into());
        let rules = js_sys::Intl::PluralRules::new(&locales, &js_sys::Object::new());
        rules.select(n as f64).as_string().as_deref() == Some("one")
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = locale;
        n == 1
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(group_digits(0, '.'), "0");
        assert_eq!(group_digits(999, '.'), "999");
        assert_eq!(group_digits(1_000, '.'), "1.000");
        assert_eq!(group_digits(1_234_567, ','), "1,234,567");
    }

    #[test]
    fn counted_messages_pick_their_form() {
        assert_eq!(plural_form("1 nueva|{n} nuevas", true), "1 nueva");
        assert_eq!(plural_form("1 nueva|{n} nuevas", false), "{n} nuevas");
        assert_eq!(plural_form("{n} en total", true), "{n} en total");
        assert!(is_one(Locale::Es, 1));
        assert!(!is_one(Locale::En, 0));
        assert!(!is_one(Locale::En, 2));
    }

    #[test]
    fn both_languages_differ_where_they_should() {
        assert_eq!(Msg::SignIn.text(Locale::Es), "Entrar");
        assert_eq!(Msg::SignIn.text(Locale::En), "Sign in");
        assert_eq!(Msg::AppName.text(Locale::Es), Msg::AppName.text(Locale::En));
        assert_eq!(OfficeMsg::RunNow.text(Locale::En), "Run now");
        assert_ne!(
            OfficeMsg::RunNow.text(Locale::Es),
            OfficeMsg::RunNow.text(Locale::En)
        );
    }
}
