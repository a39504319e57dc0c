// English and Korean for the guest-facing pages (pages add their own with addStrings).
// Elements name their text with data-i18n="key" (or data-i18n-placeholder); t(key, values)
// formats messages in scripts.

const STRINGS = {
  en: {
    "nav.home": "Home",
    "lang.switch": "한국어",
    "reserve.title": "Reserve a table at Hanok",
    "reserve.lead": "Korean home cooking in the Mission. Book for up to 20 guests; pre-order and save 7%.",
    "form.name": "Your name",
    "form.phone": "Mobile phone",
    "form.phone.hint": "We text your confirmation here.",
    "form.date": "Date",
    "form.party": "Guests",
    "form.find": "Show available times",
    "form.times": "Available times",
    "form.times.hint": "Times are in the restaurant's time zone ({tz}).",
    "form.times.none": "No tables left that day for this party. Try another date, or join the waitlist.",
    "form.closed": "We are closed that day{reason}.",
    "form.preorder": "Pre-order (optional, 7% off)",
    "form.requests": "Requests",
    "form.requests.hint": "Allergies, high chair, celebrations…",
    "form.waitlist": "If it is full, put me on the waitlist",
    "form.book": "Book the table",
    "form.subtotal": "Food",
    "form.discount": "Pre-order discount (7%)",
    "form.total": "Total",
    "form.pick.time": "Choose a time first.",
    "form.booking": "Booking…",
    "done.title": "You're booked",
    "done.code": "Your confirmation code",
    "done.when": "{date} at {time}, {party} guests",
    "done.waitlist": "You are on the waitlist; we will text you when a table frees up.",
    "done.status": "Look up, change or cancel this booking",
    "done.another": "Book another table",
    "status.title": "Your reservation",
    "status.by.code": "By confirmation code",
    "status.by.phone": "By phone and name",
    "status.code": "Confirmation code",
    "status.find": "Find",
    "status.none": "We found no upcoming booking with those details.",
    "status.change.hint": "To change or cancel, look it up by phone and name.",
    "status.amend": "Change",
    "status.cancel": "Cancel booking",
    "status.save": "Save changes",
    "status.cancelled": "The booking is cancelled.",
    "status.saved": "Saved. Your booking is updated.",
    "status.retention": "Before you go: {offer}",
    "status.cancel.anyway": "Cancel anyway",
    "status.keep": "Keep my booking",
    "field.status": "Status",
    "field.when": "When",
    "field.party": "Guests",
    "field.tables": "Tables",
    "field.preorder": "Pre-order",
    "field.total": "Total",
  },
  ko: {
    "nav.home": "홈",
    "lang.switch": "English",
    "reserve.title": "한옥 예약",
    "reserve.lead": "미션 지구의 한국 가정식. 최대 20명까지 예약하실 수 있으며, 미리 주문하시면 7% 할인됩니다.",
    "form.name": "성함",
    "form.phone": "휴대폰 번호",
    "form.phone.hint": "예약 확인 문자를 보내 드립니다.",
    "form.date": "날짜",
    "form.party": "인원",
    "form.find": "예약 가능한 시간 보기",
    "form.times": "예약 가능한 시간",
    "form.times.hint": "시간은 레스토랑 현지 시간({tz}) 기준입니다.",
    "form.times.none": "해당 날짜에 이 인원으로 남은 자리가 없습니다. 다른 날짜를 선택하시거나 대기 명단에 등록해 주세요.",
    "form.closed": "해당 날짜는 휴무입니다{reason}.",
    "form.preorder": "미리 주문 (선택, 7% 할인)",
    "form.requests": "요청 사항",
    "form.requests.hint": "알레르기, 유아용 의자, 기념일 등",
    "form.waitlist": "자리가 없으면 대기 명단에 올려 주세요",
    "form.book": "예약하기",
    "form.subtotal": "음식",
    "form.discount": "미리 주문 할인 (7%)",
    "form.total": "합계",
    "form.pick.time": "먼저 시간을 선택해 주세요.",
    "form.booking": "예약 중…",
    "done.title": "예약이 완료되었습니다",
    "done.code": "예약 확인 코드",
    "done.when": "{date} {time}, {party}명",
    "done.waitlist": "대기 명단에 등록되었습니다. 자리가 나면 문자로 알려 드립니다.",
    "done.status": "예약 조회·변경·취소",
    "done.another": "다른 예약하기",
    "status.title": "예약 조회",
    "status.by.code": "확인 코드로 찾기",
    "status.by.phone": "전화번호와 성함으로 찾기",
    "status.code": "예약 확인 코드",
    "status.find": "찾기",
    "status.none": "입력하신 정보로 예정된 예약을 찾지 못했습니다.",
    "status.change.hint": "변경하거나 취소하시려면 전화번호와 성함으로 조회해 주세요.",
    "status.amend": "변경",
    "status.cancel": "예약 취소",
    "status.save": "변경 저장",
    "status.cancelled": "예약이 취소되었습니다.",
    "status.saved": "저장되었습니다. 예약이 변경되었습니다.",
    "status.retention": "취소하시기 전에: {offer}",
    "status.cancel.anyway": "그래도 취소",
    "status.keep": "예약 유지",
    "field.status": "상태",
    "field.when": "일시",
    "field.party": "인원",
    "field.tables": "테이블",
    "field.preorder": "미리 주문",
    "field.total": "합계",
  },
};

const KEY = "convonet.lang";

/** A page's own strings ({en: {...}, ko: {...}}), added to the shared ones. */
export function addStrings(more) {
  for (const [language, strings] of Object.entries(more)) Object.assign(STRINGS[language], strings);
}

export function lang() {
  const stored = localStorage.getItem(KEY);
  if (stored === "en" || stored === "ko") return stored;
  return (navigator.language || "en").toLowerCase().startsWith("ko") ? "ko" : "en";
}

export function t(key, values = {}) {
  const text = STRINGS[lang()][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

/** Translate the page and wire the language button (#lang-switch); onChange re-renders. */
export function applyLanguage(onChange = () => {}) {
  const render = () => {
    document.documentElement.lang = lang();
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
    const button = document.getElementById("lang-switch");
    if (button) {
      button.textContent = t("lang.switch");
      button.lang = lang() === "en" ? "ko" : "en";
    }
  };
  render();
  const button = document.getElementById("lang-switch");
  if (button) {
    button.addEventListener("click", () => {
      localStorage.setItem(KEY, lang() === "en" ? "ko" : "en");
      render();
      onChange();
    });
  }
}

/** "2026-01-06T18:30:00-08:00" -> {date: "2026-01-06", time: "18:30"}: the restaurant's wall clock. */
export function wallClock(iso) {
  return { date: iso.slice(0, 10), time: iso.slice(11, 16) };
}
