"""The wording of letters in the debtor's language (nl, en, de, fr).

Two kinds of text: the fixed frame every letter prints (the parts the law requires, which a
template cannot leave out), and the built-in default of each editable template. Templates are
Jinja text rendered in a sandbox; the names they may use are listed in TEMPLATE_VARIABLES.

These texts are for debtors, in their language, not for the back office: they are not in the
gettext catalogue (which holds the back office's Dutch).
"""

from __future__ import annotations

from agency.letters.models import TemplateKind

TEMPLATE_VARIABLES = (
    "debtor_name",
    "creditor",
    "reference",
    "total",
    "principal",
    "costs",
    "interest",
    "stated_costs",
    "term_ends_on",
    "payment_url",
    "sender",
    "agency",
)

FRAME: dict[str, dict[str, str]] = {
    "nl": {
        "date": "Datum",
        "reference": "Ons kenmerk",
        "creditor": "Schuldeiser",
        "on_behalf": "namens",
        "invoice": "Factuur",
        "invoice_date": "Factuurdatum",
        "due_date": "Vervaldatum",
        "open": "Open",
        "principal": "Hoofdsom",
        "costs": "Incassokosten",
        "interest": "Wettelijke rente",
        "total": "Totaal te betalen",
        "how_to_pay": "Zo betaalt u",
        "pay_online": "Online betalen",
        "transfer": "Of maak {total} over naar {iban} ten name van {agency} onder vermelding "
        "van kenmerk {reference}.",
        "scan": "Scan de QR-code om te betalen.",
        "dispute_title": "Bent u het er niet mee eens?",
        "dispute": "Neem dan binnen de termijn contact met ons op via {email} of {phone}, met "
        "ons kenmerk {reference}. Wij leggen uw bezwaar aan {creditor} voor en sturen u "
        "intussen geen aanmaningen over het betwiste bedrag.",
        "registration": "Ingeschreven in het register van incassodienstverleners (Justis): "
        "{registration}",
        "vat_included": "inclusief btw",
        "page": "Pagina",
    },
    "en": {
        "date": "Date",
        "reference": "Our reference",
        "creditor": "Creditor",
        "on_behalf": "on behalf of",
        "invoice": "Invoice",
        "invoice_date": "Invoice date",
        "due_date": "Due date",
        "open": "Open",
        "principal": "Principal",
        "costs": "Collection costs",
        "interest": "Statutory interest",
        "total": "Total to pay",
        "how_to_pay": "How to pay",
        "pay_online": "Pay online",
        "transfer": "Or transfer {total} to {iban} in the name of {agency}, quoting reference "
        "{reference}.",
        "scan": "Scan the QR code to pay.",
        "dispute_title": "Do you disagree?",
        "dispute": "Contact us within the term at {email} or {phone}, quoting our reference "
        "{reference}. We put your objection to {creditor} and send no reminders about the "
        "disputed amount meanwhile.",
        "registration": "Registered in the Dutch register of debt collection services "
        "(Justis): {registration}",
        "vat_included": "VAT included",
        "page": "Page",
    },
    "de": {
        "date": "Datum",
        "reference": "Unser Zeichen",
        "creditor": "Gläubiger",
        "on_behalf": "im Auftrag von",
        "invoice": "Rechnung",
        "invoice_date": "Rechnungsdatum",
        "due_date": "Fälligkeit",
        "open": "Offen",
        "principal": "Hauptforderung",
        "costs": "Inkassokosten",
        "interest": "Gesetzliche Zinsen",
        "total": "Zu zahlen",
        "how_to_pay": "So zahlen Sie",
        "pay_online": "Online bezahlen",
        "transfer": "Oder überweisen Sie {total} auf {iban} zugunsten von {agency} mit dem "
        "Verwendungszweck {reference}.",
        "scan": "Scannen Sie den QR-Code, um zu bezahlen.",
        "dispute_title": "Sind Sie nicht einverstanden?",
        "dispute": "Melden Sie sich innerhalb der Frist unter {email} oder {phone} mit unserem "
        "Zeichen {reference}. Wir legen Ihren Einwand {creditor} vor.",
        "registration": "Eingetragen im niederländischen Register der Inkassodienstleister "
        "(Justis): {registration}",
        "vat_included": "inkl. MwSt.",
        "page": "Seite",
    },
    "fr": {
        "date": "Date",
        "reference": "Notre référence",
        "creditor": "Créancier",
        "on_behalf": "pour le compte de",
        "invoice": "Facture",
        "invoice_date": "Date de facture",
        "due_date": "Échéance",
        "open": "Ouvert",
        "principal": "Principal",
        "costs": "Frais de recouvrement",
        "interest": "Intérêts légaux",
        "total": "Total à payer",
        "how_to_pay": "Comment payer",
        "pay_online": "Payer en ligne",
        "transfer": "Ou virez {total} sur {iban} au nom de {agency} avec la référence {reference}.",
        "scan": "Scannez le code QR pour payer.",
        "dispute_title": "Vous contestez ?",
        "dispute": "Contactez-nous dans le délai à {email} ou au {phone} avec notre référence "
        "{reference}. Nous soumettons votre contestation à {creditor}.",
        "registration": "Inscrit au registre néerlandais des services de recouvrement "
        "(Justis) : {registration}",
        "vat_included": "TVA comprise",
        "page": "Page",
    },
}

K = TemplateKind

# (subject, body, SMS) per kind and language.
DEFAULT_TEMPLATES: dict[tuple[TemplateKind, str], tuple[str, str, str]] = {
    (K.REMINDER, "nl"): (
        "Herinnering: openstaande betaling aan {{ creditor }}",
        "Beste {{ debtor_name }},\n\n{{ creditor }} heeft ons gevraagd u te herinneren aan de "
        "facturen hieronder. Die zijn nog niet betaald. Wilt u {{ total }} betalen? Dat kan "
        "het snelst online.\n\nHeeft u al betaald? Dan kunt u deze brief vergeten.",
        "{{ creditor }}: u heeft nog {{ total }} open staan. Betaal via {{ payment_url }} "
        "(kenmerk {{ reference }}).",
    ),
    (K.REMINDER, "en"): (
        "Reminder: payment due to {{ creditor }}",
        "Dear {{ debtor_name }},\n\n{{ creditor }} asked us to remind you of the invoices "
        "below. They have not been paid yet. Please pay {{ total }}; paying online is "
        "quickest.\n\nIf you have paid already, please ignore this letter.",
        "{{ creditor }}: {{ total }} is still open. Pay at {{ payment_url }} "
        "(reference {{ reference }}).",
    ),
    (K.REMINDER, "de"): (
        "Zahlungserinnerung: {{ creditor }}",
        "Sehr geehrte(r) {{ debtor_name }},\n\n{{ creditor }} hat uns gebeten, Sie an die "
        "unten stehenden Rechnungen zu erinnern. Bitte zahlen Sie {{ total }}.",
        "{{ creditor }}: {{ total }} sind noch offen. Zahlen: {{ payment_url }}",
    ),
    (K.REMINDER, "fr"): (
        "Rappel : paiement dû à {{ creditor }}",
        "Madame, Monsieur {{ debtor_name }},\n\n{{ creditor }} nous a demandé de vous rappeler "
        "les factures ci-dessous. Merci de payer {{ total }}.",
        "{{ creditor }} : {{ total }} reste ouvert. Payer : {{ payment_url }}",
    ),
    (K.SECOND_REMINDER, "nl"): (
        "Tweede herinnering: {{ total }} aan {{ creditor }}",
        "Beste {{ debtor_name }},\n\nWij hebben nog geen betaling van u ontvangen. Betaal "
        "{{ total }} zo snel mogelijk, of neem contact met ons op als u een betalingsregeling "
        "wilt.",
        "Tweede herinnering van {{ creditor }}: betaal {{ total }} via {{ payment_url }}.",
    ),
    (K.SECOND_REMINDER, "en"): (
        "Second reminder: {{ total }} due to {{ creditor }}",
        "Dear {{ debtor_name }},\n\nWe have not received your payment yet. Please pay "
        "{{ total }} as soon as possible, or contact us if you would like a payment plan.",
        "Second reminder from {{ creditor }}: pay {{ total }} at {{ payment_url }}.",
    ),
    (K.SECOND_REMINDER, "de"): (
        "Zweite Erinnerung: {{ total }}",
        "Sehr geehrte(r) {{ debtor_name }},\n\nWir haben Ihre Zahlung noch nicht erhalten. "
        "Bitte zahlen Sie {{ total }} oder vereinbaren Sie mit uns eine Ratenzahlung.",
        "Zweite Erinnerung ({{ creditor }}): {{ total }}, {{ payment_url }}",
    ),
    (K.SECOND_REMINDER, "fr"): (
        "Deuxième rappel : {{ total }}",
        "Madame, Monsieur {{ debtor_name }},\n\nNous n'avons pas encore reçu votre paiement. "
        "Merci de payer {{ total }} ou de nous contacter pour un plan de paiement.",
        "Deuxième rappel ({{ creditor }}) : {{ total }}, {{ payment_url }}",
    ),
    (K.FOURTEEN_DAY_LETTER, "nl"): (
        "Laatste kans zonder kosten: betaal uiterlijk {{ term_ends_on }}",
        "Beste {{ debtor_name }},\n\nU heeft de facturen hieronder nog niet betaald. U krijgt "
        "nog één kans om te betalen zonder extra kosten.\n\nBetaal {{ total }} uiterlijk op "
        "{{ term_ends_on }}. Dat is 14 dagen na de dag nadat u deze brief heeft ontvangen.\n\n"
        "Betaalt u niet op tijd? Dan moet u ook incassokosten betalen: {{ stated_costs }}. "
        "Die kosten rekenen wij vanaf de dag na {{ term_ends_on }}.",
        "{{ creditor }}: betaal {{ total }} uiterlijk {{ term_ends_on }} zonder extra kosten. "
        "Daarna {{ stated_costs }} incassokosten. {{ payment_url }}",
    ),
    (K.FOURTEEN_DAY_LETTER, "en"): (
        "Last chance without costs: pay by {{ term_ends_on }}",
        "Dear {{ debtor_name }},\n\nYou have not paid the invoices below yet. You get one more "
        "chance to pay without extra costs.\n\nPay {{ total }} no later than "
        "{{ term_ends_on }}. That is 14 days after the day after you received this letter.\n\n"
        "If you do not pay in time, you must also pay collection costs: {{ stated_costs }}. "
        "We charge them from the day after {{ term_ends_on }}.",
        "{{ creditor }}: pay {{ total }} by {{ term_ends_on }} without extra costs. After "
        "that {{ stated_costs }} collection costs. {{ payment_url }}",
    ),
    (K.FOURTEEN_DAY_LETTER, "de"): (
        "Letzte Frist ohne Kosten: zahlen Sie bis {{ term_ends_on }}",
        "Sehr geehrte(r) {{ debtor_name }},\n\nZahlen Sie {{ total }} spätestens am "
        "{{ term_ends_on }} (14 Tage nach dem Tag nach Erhalt dieses Briefes). Zahlen Sie "
        "nicht rechtzeitig, schulden Sie außerdem Inkassokosten von {{ stated_costs }}, "
        "berechnet ab dem Tag nach {{ term_ends_on }}.",
        "{{ creditor }}: {{ total }} bis {{ term_ends_on }} zahlen, danach {{ stated_costs }} "
        "Inkassokosten. {{ payment_url }}",
    ),
    (K.FOURTEEN_DAY_LETTER, "fr"): (
        "Dernier délai sans frais : payez avant le {{ term_ends_on }}",
        "Madame, Monsieur {{ debtor_name }},\n\nPayez {{ total }} au plus tard le "
        "{{ term_ends_on }} (14 jours après le lendemain de la réception de cette lettre). "
        "À défaut, vous devrez aussi des frais de recouvrement de {{ stated_costs }}, "
        "comptés à partir du lendemain du {{ term_ends_on }}.",
        "{{ creditor }} : payez {{ total }} avant le {{ term_ends_on }}, ensuite "
        "{{ stated_costs }} de frais. {{ payment_url }}",
    ),
    (K.SUMMONS, "nl"): (
        "Sommatie: betaal {{ total }} aan {{ creditor }}",
        "Beste {{ debtor_name }},\n\nU heeft niet binnen de termijn betaald. Daarom zijn de "
        "incassokosten en de wettelijke rente bij het bedrag opgeteld. Betaal {{ total }} "
        "binnen 7 dagen. Doet u dat niet, dan draagt {{ creditor }} de zaak over aan een "
        "deurwaarder of advocaat. Dat kost u nog meer.",
        "Sommatie {{ creditor }}: betaal {{ total }} binnen 7 dagen via {{ payment_url }}.",
    ),
    (K.SUMMONS, "en"): (
        "Final demand: pay {{ total }} to {{ creditor }}",
        "Dear {{ debtor_name }},\n\nYou did not pay within the term. The collection costs and "
        "statutory interest have therefore been added. Pay {{ total }} within 7 days. If you "
        "do not, {{ creditor }} will hand the case to a bailiff or lawyer, which costs you "
        "more.",
        "Final demand {{ creditor }}: pay {{ total }} within 7 days at {{ payment_url }}.",
    ),
    (K.SUMMONS, "de"): (
        "Letzte Mahnung: {{ total }}",
        "Sehr geehrte(r) {{ debtor_name }},\n\nSie haben nicht fristgerecht gezahlt. Zahlen "
        "Sie {{ total }} innerhalb von 7 Tagen, sonst übergibt {{ creditor }} die Sache einem "
        "Gerichtsvollzieher.",
        "Letzte Mahnung ({{ creditor }}): {{ total }} in 7 Tagen. {{ payment_url }}",
    ),
    (K.SUMMONS, "fr"): (
        "Mise en demeure : {{ total }}",
        "Madame, Monsieur {{ debtor_name }},\n\nVous n'avez pas payé dans le délai. Payez "
        "{{ total }} dans les 7 jours, sinon {{ creditor }} confiera le dossier à un huissier.",
        "Mise en demeure ({{ creditor }}) : {{ total }} sous 7 jours. {{ payment_url }}",
    ),
    (K.LEGAL_HANDOVER, "nl"): (
        "Uw dossier is overgedragen voor juridische stappen",
        "Beste {{ debtor_name }},\n\nU heeft {{ total }} niet betaald. {{ creditor }} heeft "
        "ons opdracht gegeven de zaak over te dragen aan een deurwaarder of advocaat. U kunt "
        "dat nog voorkomen door nu te betalen.",
        "{{ creditor }}: uw dossier gaat naar de deurwaarder. Betaal nu {{ total }}: "
        "{{ payment_url }}",
    ),
    (K.LEGAL_HANDOVER, "en"): (
        "Your case has been handed over for legal action",
        "Dear {{ debtor_name }},\n\nYou did not pay {{ total }}. {{ creditor }} instructed us "
        "to hand the case to a bailiff or lawyer. You can still prevent that by paying now.",
        "{{ creditor }}: your case goes to a bailiff. Pay {{ total }} now: {{ payment_url }}",
    ),
    (K.LEGAL_HANDOVER, "de"): (
        "Ihre Sache wird rechtlich verfolgt",
        "Sehr geehrte(r) {{ debtor_name }},\n\nSie haben {{ total }} nicht bezahlt. Die Sache "
        "wird einem Gerichtsvollzieher übergeben, es sei denn, Sie zahlen jetzt.",
        "{{ creditor }}: Übergabe an Gerichtsvollzieher. Jetzt zahlen: {{ payment_url }}",
    ),
    (K.LEGAL_HANDOVER, "fr"): (
        "Votre dossier est transmis pour poursuites",
        "Madame, Monsieur {{ debtor_name }},\n\nVous n'avez pas payé {{ total }}. Le dossier "
        "est transmis à un huissier, sauf paiement immédiat.",
        "{{ creditor }} : dossier transmis à l'huissier. Payez : {{ payment_url }}",
    ),
    (K.CLIENT_LEGAL_NOTICE, "nl"): (
        "Dossier {{ reference }} ({{ debtor_name }}) is overgedragen aan juridisch",
        "Beste {{ creditor }},\n\n{{ debtor_name }} heeft na alle aanmaningen {{ total }} niet "
        "betaald. Wij hebben het dossier {{ reference }} overgedragen voor juridische "
        "stappen. U hoort van ons over het vervolg.",
        "Dossier {{ reference }} is overgedragen aan juridisch.",
    ),
    (K.CLIENT_LEGAL_NOTICE, "en"): (
        "Case {{ reference }} ({{ debtor_name }}) handed over for legal action",
        "Dear {{ creditor }},\n\n{{ debtor_name }} did not pay {{ total }} after all "
        "reminders. We handed case {{ reference }} over for legal action and will keep you "
        "informed.",
        "Case {{ reference }} handed over for legal action.",
    ),
    (K.CLIENT_LEGAL_NOTICE, "de"): (
        "Fall {{ reference }} ({{ debtor_name }}) an Rechtsabteilung übergeben",
        "Sehr geehrte Damen und Herren,\n\n{{ debtor_name }} hat {{ total }} nicht bezahlt. "
        "Wir haben den Fall {{ reference }} zur rechtlichen Verfolgung übergeben.",
        "Fall {{ reference }} übergeben.",
    ),
    (K.CLIENT_LEGAL_NOTICE, "fr"): (
        "Dossier {{ reference }} ({{ debtor_name }}) transmis au contentieux",
        "Madame, Monsieur,\n\n{{ debtor_name }} n'a pas payé {{ total }}. Nous avons transmis "
        "le dossier {{ reference }} pour poursuites.",
        "Dossier {{ reference }} transmis.",
    ),
    (K.B2B_NOTICE, "nl"): (
        "Betalingsachterstand bij {{ creditor }}",
        "Geachte {{ debtor_name }},\n\nDe facturen hieronder zijn over de vervaldatum. Op "
        "grond van art. 6:96 lid 4 BW bent u een vergoeding van ten minste EUR 40 per factuur "
        "verschuldigd, en de wettelijke handelsrente. Betaal {{ total }} per omgaande.",
        "{{ creditor }}: {{ total }} is over de vervaldatum. Betaal via {{ payment_url }}.",
    ),
    (K.B2B_NOTICE, "en"): (
        "Overdue payment to {{ creditor }}",
        "Dear {{ debtor_name }},\n\nThe invoices below are past due. Under art. 6:96(4) of the "
        "Dutch Civil Code you owe at least EUR 40 per invoice in compensation, and the "
        "statutory commercial interest. Please pay {{ total }} immediately.",
        "{{ creditor }}: {{ total }} is past due. Pay at {{ payment_url }}.",
    ),
    (K.B2B_NOTICE, "de"): (
        "Zahlungsrückstand bei {{ creditor }}",
        "Sehr geehrte Damen und Herren,\n\nDie Rechnungen unten sind überfällig. Sie schulden "
        "mindestens EUR 40 je Rechnung sowie Verzugszinsen. Bitte zahlen Sie {{ total }}.",
        "{{ creditor }}: {{ total }} überfällig. {{ payment_url }}",
    ),
    (K.B2B_NOTICE, "fr"): (
        "Retard de paiement envers {{ creditor }}",
        "Madame, Monsieur,\n\nLes factures ci-dessous sont échues. Vous devez une indemnité "
        "d'au moins 40 EUR par facture et les intérêts de retard. Merci de payer {{ total }}.",
        "{{ creditor }} : {{ total }} échu. {{ payment_url }}",
    ),
    (K.BE_REMINDER, "nl"): (
        "Kosteloze herinnering van {{ creditor }}",
        "Beste {{ debtor_name }},\n\nDit is een kosteloze herinnering. U heeft 14 dagen om "
        "{{ total }} te betalen zonder extra kosten, tot en met {{ term_ends_on }}. Daarna "
        "kan een schadevergoeding van ten hoogste {{ stated_costs }} worden gevraagd (boek XIX "
        "WER).",
        "Kosteloze herinnering {{ creditor }}: betaal {{ total }} tot {{ term_ends_on }}. "
        "{{ payment_url }}",
    ),
    (K.BE_REMINDER, "en"): (
        "Free reminder from {{ creditor }}",
        "Dear {{ debtor_name }},\n\nThis is a free reminder. You have 14 days, until "
        "{{ term_ends_on }} inclusive, to pay {{ total }} without extra costs. After that, "
        "damages of at most {{ stated_costs }} may be charged (Book XIX of the Belgian Code "
        "of Economic Law).",
        "Free reminder {{ creditor }}: pay {{ total }} by {{ term_ends_on }}. {{ payment_url }}",
    ),
    (K.BE_REMINDER, "de"): (
        "Kostenlose Erinnerung von {{ creditor }}",
        "Sehr geehrte(r) {{ debtor_name }},\n\nDies ist eine kostenlose Erinnerung. Sie haben "
        "bis einschließlich {{ term_ends_on }} Zeit, {{ total }} ohne Mehrkosten zu zahlen. "
        "Danach kann ein Schadenersatz von höchstens {{ stated_costs }} verlangt werden.",
        "Kostenlose Erinnerung ({{ creditor }}): {{ total }} bis {{ term_ends_on }}.",
    ),
    (K.BE_REMINDER, "fr"): (
        "Rappel gratuit de {{ creditor }}",
        "Madame, Monsieur {{ debtor_name }},\n\nCeci est un rappel gratuit. Vous disposez "
        "de 14 jours, jusqu'au {{ term_ends_on }} inclus, pour payer {{ total }} sans frais. "
        "Ensuite, une indemnité d'au plus {{ stated_costs }} peut être réclamée (livre XIX "
        "CDE).",
        "Rappel gratuit {{ creditor }} : payez {{ total }} avant le {{ term_ends_on }}.",
    ),
    (K.BE_DAMAGES, "nl"): (
        "Aanmaning: {{ total }} aan {{ creditor }}",
        "Beste {{ debtor_name }},\n\nU heeft niet betaald binnen de termijn van de kosteloze "
        "herinnering. De schadevergoeding volgens boek XIX WER is daarom bij het bedrag "
        "opgeteld. Betaal {{ total }}.",
        "Aanmaning {{ creditor }}: betaal {{ total }} via {{ payment_url }}.",
    ),
    (K.BE_DAMAGES, "en"): (
        "Demand: {{ total }} to {{ creditor }}",
        "Dear {{ debtor_name }},\n\nYou did not pay within the term of the free reminder. The "
        "damages allowed by Book XIX of the Belgian Code of Economic Law have therefore been "
        "added. Please pay {{ total }}.",
        "Demand {{ creditor }}: pay {{ total }} at {{ payment_url }}.",
    ),
    (K.BE_DAMAGES, "de"): (
        "Mahnung: {{ total }}",
        "Sehr geehrte(r) {{ debtor_name }},\n\nSie haben nicht innerhalb der Frist gezahlt. "
        "Der gesetzliche Schadenersatz wurde hinzugefügt. Bitte zahlen Sie {{ total }}.",
        "Mahnung ({{ creditor }}): {{ total }}. {{ payment_url }}",
    ),
    (K.BE_DAMAGES, "fr"): (
        "Mise en demeure : {{ total }}",
        "Madame, Monsieur {{ debtor_name }},\n\nVous n'avez pas payé dans le délai du rappel "
        "gratuit. L'indemnité prévue par le livre XIX CDE a été ajoutée. Merci de payer "
        "{{ total }}.",
        "Mise en demeure ({{ creditor }}) : {{ total }}. {{ payment_url }}",
    ),
}
