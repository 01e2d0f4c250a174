// Every string of the UI, in Bahasa Indonesia (the default) and English. Keys are flat
// 'area.name'; {name} in a string is replaced by t(key, {name: ...}). Both languages must have
// the same keys. The choice is kept in localStorage ('sidang.lang').

export const messages = {
	id: {
		'app.name': 'Sidang',
		'app.tagline': 'Sistem Dokumen Persidangan',
		'app.footer': 'Sidang — Biro Hukum, Persidangan, dan Hubungan Masyarakat',

		'nav.skip': 'Langsung ke isi utama',
		'nav.main': 'Menu utama',
		'nav.meetings': 'Rapat',
		'nav.breadcrumb': 'Jejak navigasi',

		'header.language': 'Bahasa',
		'header.logout': 'Keluar',
		'header.roles': 'Peran',
		'header.logoutDuringUpload': 'Unggahan masih berjalan dan akan terhenti. Tetap keluar?',

		'common.loading': 'Memuat…',
		'common.retry': 'Coba lagi',

		'startup.errorTitle': 'Sidang tidak dapat dimuat',

		'login.title': 'Masuk',
		'login.intro': 'Masuk dengan nama pengguna dan kata sandi akun Sidang Anda.',
		'login.username': 'Nama pengguna',
		'login.password': 'Kata sandi',
		'login.submit': 'Masuk',
		'login.missing': 'Isi nama pengguna dan kata sandi.',
		'login.loggedOut': 'Anda telah keluar.',
		'login.sessionEnded': 'Sesi Anda telah berakhir. Silakan masuk kembali.',

		'form.required': 'Isian ini wajib diisi.',
		'form.requiredNote': 'Isian bertanda * wajib diisi.',
		'form.tooLong': 'Isian terlalu panjang (paling banyak {max} bita).',
		'form.dateFormat': 'Masukkan tanggal yang valid (TTTT-BB-HH).',
		'form.save': 'Simpan',
		'form.cancel': 'Batal',

		'meetings.title': 'Daftar Rapat',
		'meetings.new': 'Rapat baru',
		'meetings.newTitle': 'Rapat baru',
		'meetings.create': 'Buat rapat',
		'meetings.created': 'Rapat "{title}" telah dibuat.',
		'meetings.documents': 'Dokumen',
		'meetings.count': 'Menampilkan {from}–{to} dari {total} rapat.',
		'meetings.empty': 'Belum ada rapat. Buat rapat baru dengan tombol "Rapat baru".',
		'meetings.pageEmpty': 'Tidak ada rapat di halaman ini.',
		'meetings.noRoleTitle': 'Tidak ada rapat yang dapat ditampilkan.',
		'meetings.noRole': 'Daftar rapat hanya terlihat oleh pelaksana SOP pada Biro Hukum, Persidangan, dan Hubungan Masyarakat (Karo HPH, Kabag Persidangan, Kasubbag Pengelolaan Persidangan, Pengelola Persidangan, Pengelola Naskah). Akun Anda tidak memegang peran tersebut. Dokumen yang hak aksesnya diberikan kepada Anda akan tersedia setelah dokumen tersebut diunggah dan dipublikasikan.',

		'pager.label': 'Halaman',
		'pager.prev': 'Sebelumnya',
		'pager.next': 'Berikutnya',
		'pager.page': 'Halaman {page} dari {pages}',

		'meeting.title': 'Judul rapat',
		'meeting.number': 'Nomor',
		'meeting.numberHint': 'Nomor surat undangan atau nomor agenda, bila ada.',
		'meeting.date': 'Tanggal',
		'meeting.place': 'Tempat',
		'meeting.chair': 'Pimpinan rapat',
		'meeting.classification': 'Klasifikasi keamanan',
		'meeting.createdBy': 'Dibuat oleh',
		'meeting.createdAt': 'Dibuat pada',
		'meeting.updatedAt': 'Diperbarui pada',
		'meeting.facts': 'Data rapat',
		'meeting.edit': 'Ubah data rapat',
		'meeting.saved': 'Perubahan data rapat telah disimpan.',
		'meeting.unchanged': 'Tidak ada perubahan yang disimpan.',
		'meeting.documents': 'Dokumen per tahap',
		'meeting.notFoundTitle': 'Rapat tidak ditemukan',
		'meeting.notFound': 'Rapat ini tidak ada atau Anda tidak memiliki hak akses kepadanya.',
		'meeting.errorTitle': 'Rapat tidak dapat dimuat',
		'meeting.back': 'Kembali ke daftar rapat',

		'stage.perencanaan': 'Perencanaan',
		'stage.pelaksanaan': 'Pelaksanaan',
		'stage.pelaporan': 'Pelaporan',
		'stageTitle.perencanaan': 'Tahap perencanaan',
		'stageTitle.pelaksanaan': 'Tahap pelaksanaan',
		'stageTitle.pelaporan': 'Tahap pelaporan',
		'stageIn.perencanaan': 'tahap perencanaan',
		'stageIn.pelaksanaan': 'tahap pelaksanaan',
		'stageIn.pelaporan': 'tahap pelaporan',

		'classification.biasa': 'Biasa',
		'classification.terbatas': 'Terbatas',
		'classification.rahasia': 'Rahasia',
		'classification.sangat_rahasia': 'Sangat Rahasia',

		'source.scan': 'Pindaian',
		'source.born_digital': 'Dokumen digital',

		'docState.internal': 'Internal',
		'docState.published': 'Dipublikasikan',
		'docState.verified': 'Terverifikasi',

		'doctype.undangan': 'Undangan',
		'doctype.kak_tor': 'Kerangka acuan kerja (KAK/TOR)',
		'doctype.agenda': 'Agenda',
		'doctype.nota_dinas': 'Nota dinas',
		'doctype.bahan_rapat': 'Bahan rapat',
		'doctype.daftar_hadir': 'Daftar hadir',
		'doctype.bahan_paparan': 'Bahan paparan',
		'doctype.notulensi': 'Notulensi',
		'doctype.dokumentasi': 'Dokumentasi',
		'doctype.risalah': 'Risalah',
		'doctype.laporan_hasil_rapat': 'Laporan hasil rapat',
		'doctype.rekomendasi': 'Rekomendasi',
		'doctype.tindak_lanjut': 'Tindak lanjut',
		'doctype.lainnya': 'Lainnya',

		'document.title': 'Judul',
		'document.type': 'Jenis dokumen',
		'document.classification': 'Klasifikasi',
		'document.source': 'Sumber',
		'document.version': 'Versi',
		'document.size': 'Ukuran',
		'document.uploaded': 'Diunggah',
		'document.state': 'Status',
		'document.actions': 'Tindakan',
		'document.download': 'Unduh',
		'document.downloadFile': 'Unduh {title}',
		'document.view': 'Lihat',
		'document.viewFile': 'Lihat {title} (tab baru)',
		'document.newVersion': 'Versi baru',
		'document.newVersionFor': 'Unggah versi baru {title}',
		'document.history': 'Riwayat',
		'document.historyFor': 'Riwayat versi {title}',
		'document.none': 'Belum ada dokumen pada {stage}.',

		'version.file': 'Berkas versi baru untuk "{title}"',
		'version.submit': 'Unggah versi baru',
		'version.saved': 'Versi baru "{title}" telah disimpan (versi {n}).',
		'version.caption': 'Riwayat versi "{title}"',
		'version.filename': 'Nama berkas',
		'version.sha256': 'SHA-256',
		'version.downloadVersion': 'Unduh versi {n} {title}',

		'upload.title': 'Unggah dokumen {stage}',
		'upload.choose': 'Pilih berkas…',
		'upload.dropHint': 'Atau seret dan lepaskan berkas ke area ini. Beberapa berkas dapat diunggah sekaligus.',
		'upload.allowed': 'Jenis yang diterima: PDF, JPEG, PNG, TIFF, Word, Excel, PowerPoint, dan OpenDocument.',
		'upload.limit': 'Ukuran maksimum {limit} per berkas.',
		'upload.selected': 'Berkas terpilih',
		'upload.noneSelected': 'Belum ada berkas yang dipilih.',
		'upload.noFiles': 'Pilih sekurang-kurangnya satu berkas.',
		'upload.remove': 'Hapus',
		'upload.removeFile': 'Hapus {name} dari daftar',
		'upload.file': 'Berkas',
		'upload.stage': 'Tahap',
		'upload.chooseType': '— Pilih jenis dokumen —',
		'upload.otherType': 'Lainnya…',
		'upload.otherTypeName': 'Nama jenis lainnya',
		'upload.otherTypeHint': 'Huruf kecil, angka, dan garis bawah, misalnya surat_tugas. Kosongkan untuk "lainnya".',
		'upload.otherTypeInvalid': 'Gunakan huruf a–z, angka, dan garis bawah saja (paling banyak 64 karakter).',
		'upload.titleHint': 'Bila dikosongkan, nama berkas dipakai sebagai judul. Hanya berlaku untuk unggahan satu berkas.',
		'upload.submit': 'Unggah',
		'upload.progress': 'Kemajuan unggahan',
		'upload.waiting': 'Menunggu…',
		'upload.sending': 'Mengunggah… {pct}%',
		'upload.processing': 'Memproses di server…',
		'upload.done': 'Berhasil diunggah.',
		'upload.cancel': 'Batalkan',
		'upload.cancelFile': 'Batalkan unggahan {name}',
		'upload.running': 'Mengunggah {n} berkas…',
		'upload.summaryOk': '{n} berkas berhasil diunggah.',
		'upload.summaryMixed': '{ok} berkas berhasil diunggah, {failed} berkas gagal. Lihat keterangan pada setiap berkas.',

		'alih.title': 'Alih media',
		'alih.intro': 'Catat pelaksanaan alih media (pemindaian) dokumen kertas ini.',
		'alih.scannedBy': 'Dipindai oleh',
		'alih.scannedByHint': 'Kosongkan bila Anda sendiri yang memindai.',
		'alih.scannedAt': 'Tanggal pemindaian',
		'alih.device': 'Perangkat pemindai',
		'alih.deviceHint': 'Merek dan tipe pemindai.',
		'alih.pages': 'Jumlah halaman',
		'alih.pagesShort': 'Jumlah halaman',
		'alih.pagesInvalid': 'Isi jumlah halaman (1–100000) untuk berkas {name}.',
		'alih.byLine': 'oleh {name}',
		'alih.pagesLine': '{n} halaman',

		'error.invalidCredentials': 'Nama pengguna atau kata sandi salah.',
		'error.throttledSeconds': 'Terlalu banyak percobaan masuk yang gagal. Silakan coba lagi dalam {n} detik.',
		'error.throttledMinutes': 'Terlalu banyak percobaan masuk yang gagal. Silakan coba lagi dalam {n} menit.',
		'error.throttledNoTime': 'Terlalu banyak percobaan yang gagal. Silakan coba lagi nanti.',
		'error.unauthenticated': 'Sesi Anda telah berakhir. Silakan masuk kembali.',
		'error.csrfFailed': 'Permintaan ditolak karena token keamanan tidak sah. Muat ulang halaman, lalu coba lagi.',
		'error.forbidden': 'Anda tidak berwenang melakukan tindakan ini.',
		'error.notFound': 'Data tidak ditemukan atau Anda tidak memiliki hak akses kepadanya.',
		'error.conflict': 'Data telah diubah atau sudah ada. Muat ulang halaman, lalu coba lagi.',
		'error.tooLarge': 'Berkas terlalu besar.',
		'error.tooLargeLimit': 'Berkas terlalu besar. Batas ukuran unggahan adalah {limit}.',
		'error.unsupportedType': 'Jenis berkas tidak diizinkan. Yang diterima: PDF, JPEG, PNG, TIFF, Word, Excel, PowerPoint, dan OpenDocument.',
		'error.storageFull': 'Ruang penyimpanan server penuh; berkas tidak disimpan. Hubungi administrator.',
		'error.headersTooLarge': 'Permintaan terlalu besar. Muat ulang halaman, lalu coba lagi.',
		'error.validation': 'Isian tidak valid.',
		'error.validationDetail': 'Isian tidak valid ({detail}).',
		'error.internal': 'Terjadi kesalahan pada server. Silakan coba lagi atau hubungi administrator.',
		'error.network': 'Server tidak dapat dihubungi. Periksa koneksi jaringan, lalu coba lagi.',
		'error.aborted': 'Unggahan dibatalkan.',
		'error.status': 'Permintaan gagal (kode status {status}).',
		'error.unexpected': 'Terjadi kesalahan yang tidak terduga.',

		'notFound.title': 'Halaman tidak ditemukan',
		'notFound.text': 'Alamat yang Anda buka tidak dikenal.',
	},

	en: {
		'app.name': 'Sidang',
		'app.tagline': 'Meeting Documents System',
		'app.footer': 'Sidang — Bureau of Law, Sessions and Public Relations',

		'nav.skip': 'Skip to main content',
		'nav.main': 'Main menu',
		'nav.meetings': 'Meetings',
		'nav.breadcrumb': 'Breadcrumb',

		'header.language': 'Language',
		'header.logout': 'Log out',
		'header.roles': 'Roles',
		'header.logoutDuringUpload': 'Uploads are still running and will be stopped. Log out anyway?',

		'common.loading': 'Loading…',
		'common.retry': 'Try again',

		'startup.errorTitle': 'Sidang could not be loaded',

		'login.title': 'Log in',
		'login.intro': 'Log in with the user name and password of your Sidang account.',
		'login.username': 'User name',
		'login.password': 'Password',
		'login.submit': 'Log in',
		'login.missing': 'Enter your user name and password.',
		'login.loggedOut': 'You have logged out.',
		'login.sessionEnded': 'Your session has ended. Please log in again.',

		'form.required': 'This field is required.',
		'form.requiredNote': 'Fields marked * are required.',
		'form.tooLong': 'Too long (at most {max} bytes).',
		'form.dateFormat': 'Enter a valid date (YYYY-MM-DD).',
		'form.save': 'Save',
		'form.cancel': 'Cancel',

		'meetings.title': 'Meetings',
		'meetings.new': 'New meeting',
		'meetings.newTitle': 'New meeting',
		'meetings.create': 'Create meeting',
		'meetings.created': 'Meeting "{title}" has been created.',
		'meetings.documents': 'Documents',
		'meetings.count': 'Showing {from}–{to} of {total} meetings.',
		'meetings.empty': 'There are no meetings yet. Create one with the "New meeting" button.',
		'meetings.pageEmpty': 'There are no meetings on this page.',
		'meetings.noRoleTitle': 'There are no meetings to show.',
		'meetings.noRole': 'The meeting list is visible only to the SOP performers of the Bureau of Law, Sessions and Public Relations (Karo HPH, Kabag Persidangan, Kasubbag Pengelolaan Persidangan, Pengelola Persidangan, Pengelola Naskah). Your account holds none of these roles. Documents you are granted access to will be available once they have been uploaded and published.',

		'pager.label': 'Pages',
		'pager.prev': 'Previous',
		'pager.next': 'Next',
		'pager.page': 'Page {page} of {pages}',

		'meeting.title': 'Meeting title',
		'meeting.number': 'Number',
		'meeting.numberHint': 'Number of the invitation letter or agenda, if any.',
		'meeting.date': 'Date',
		'meeting.place': 'Place',
		'meeting.chair': 'Chaired by',
		'meeting.classification': 'Security classification',
		'meeting.createdBy': 'Created by',
		'meeting.createdAt': 'Created at',
		'meeting.updatedAt': 'Updated at',
		'meeting.facts': 'Meeting details',
		'meeting.edit': 'Edit meeting details',
		'meeting.saved': 'The meeting details have been saved.',
		'meeting.unchanged': 'Nothing was changed.',
		'meeting.documents': 'Documents by stage',
		'meeting.notFoundTitle': 'Meeting not found',
		'meeting.notFound': 'This meeting does not exist or you have no access to it.',
		'meeting.errorTitle': 'The meeting could not be loaded',
		'meeting.back': 'Back to the meeting list',

		'stage.perencanaan': 'Planning',
		'stage.pelaksanaan': 'Implementation',
		'stage.pelaporan': 'Reporting',
		'stageTitle.perencanaan': 'Planning stage',
		'stageTitle.pelaksanaan': 'Implementation stage',
		'stageTitle.pelaporan': 'Reporting stage',
		'stageIn.perencanaan': 'planning stage',
		'stageIn.pelaksanaan': 'implementation stage',
		'stageIn.pelaporan': 'reporting stage',

		'classification.biasa': 'Ordinary',
		'classification.terbatas': 'Restricted',
		'classification.rahasia': 'Secret',
		'classification.sangat_rahasia': 'Top Secret',

		'source.scan': 'Scan',
		'source.born_digital': 'Born-digital document',

		'docState.internal': 'Internal',
		'docState.published': 'Published',
		'docState.verified': 'Verified',

		'doctype.undangan': 'Invitation',
		'doctype.kak_tor': 'Terms of reference (KAK/TOR)',
		'doctype.agenda': 'Agenda',
		'doctype.nota_dinas': 'Internal memo',
		'doctype.bahan_rapat': 'Meeting materials',
		'doctype.daftar_hadir': 'Attendance list',
		'doctype.bahan_paparan': 'Presentation',
		'doctype.notulensi': 'Minutes',
		'doctype.dokumentasi': 'Documentation (photos)',
		'doctype.risalah': 'Summary record (risalah)',
		'doctype.laporan_hasil_rapat': 'Meeting report',
		'doctype.rekomendasi': 'Recommendations',
		'doctype.tindak_lanjut': 'Follow-up',
		'doctype.lainnya': 'Other',

		'document.title': 'Title',
		'document.type': 'Document type',
		'document.classification': 'Classification',
		'document.source': 'Source',
		'document.version': 'Version',
		'document.size': 'Size',
		'document.uploaded': 'Uploaded',
		'document.state': 'State',
		'document.actions': 'Actions',
		'document.download': 'Download',
		'document.downloadFile': 'Download {title}',
		'document.view': 'View',
		'document.viewFile': 'View {title} (new tab)',
		'document.newVersion': 'New version',
		'document.newVersionFor': 'Upload a new version of {title}',
		'document.history': 'History',
		'document.historyFor': 'Version history of {title}',
		'document.none': 'There are no documents in the {stage} yet.',

		'version.file': 'File for the new version of "{title}"',
		'version.submit': 'Upload new version',
		'version.saved': 'The new version of "{title}" has been saved (version {n}).',
		'version.caption': 'Version history of "{title}"',
		'version.filename': 'File name',
		'version.sha256': 'SHA-256',
		'version.downloadVersion': 'Download version {n} of {title}',

		'upload.title': 'Upload documents of the {stage}',
		'upload.choose': 'Choose files…',
		'upload.dropHint': 'Or drag and drop files onto this area. Several files can be uploaded at once.',
		'upload.allowed': 'Accepted types: PDF, JPEG, PNG, TIFF, Word, Excel, PowerPoint and OpenDocument.',
		'upload.limit': 'At most {limit} per file.',
		'upload.selected': 'Selected files',
		'upload.noneSelected': 'No files selected.',
		'upload.noFiles': 'Choose at least one file.',
		'upload.remove': 'Remove',
		'upload.removeFile': 'Remove {name} from the list',
		'upload.file': 'File',
		'upload.stage': 'Stage',
		'upload.chooseType': '— Choose a document type —',
		'upload.otherType': 'Other…',
		'upload.otherTypeName': 'Name of the other type',
		'upload.otherTypeHint': 'Lower-case letters, digits and underscores, e.g. surat_tugas. Leave empty for "lainnya" (other).',
		'upload.otherTypeInvalid': 'Use only the letters a–z, digits and underscores (at most 64 characters).',
		'upload.titleHint': 'If left empty, the file name is used as the title. Applies to single-file uploads only.',
		'upload.submit': 'Upload',
		'upload.progress': 'Upload progress',
		'upload.waiting': 'Waiting…',
		'upload.sending': 'Uploading… {pct}%',
		'upload.processing': 'Processing on the server…',
		'upload.done': 'Uploaded.',
		'upload.cancel': 'Cancel',
		'upload.cancelFile': 'Cancel the upload of {name}',
		'upload.running': 'Uploading {n} files…',
		'upload.summaryOk': '{n} files uploaded.',
		'upload.summaryMixed': '{ok} files uploaded, {failed} failed. See the message at each file.',

		'alih.title': 'Digitisation (alih media)',
		'alih.intro': 'Record how these paper documents were digitised (scanned).',
		'alih.scannedBy': 'Scanned by',
		'alih.scannedByHint': 'Leave empty if you scanned it yourself.',
		'alih.scannedAt': 'Date scanned',
		'alih.device': 'Scanner',
		'alih.deviceHint': 'Make and model of the scanner.',
		'alih.pages': 'Number of pages',
		'alih.pagesShort': 'Pages',
		'alih.pagesInvalid': 'Enter the number of pages (1–100000) for {name}.',
		'alih.byLine': 'by {name}',
		'alih.pagesLine': '{n} pages',

		'error.invalidCredentials': 'Wrong user name or password.',
		'error.throttledSeconds': 'Too many failed login attempts. Please try again in {n} seconds.',
		'error.throttledMinutes': 'Too many failed login attempts. Please try again in {n} minutes.',
		'error.throttledNoTime': 'Too many failed attempts. Please try again later.',
		'error.unauthenticated': 'Your session has ended. Please log in again.',
		'error.csrfFailed': 'The request was refused because its security token is not valid. Reload the page and try again.',
		'error.forbidden': 'You are not allowed to do this.',
		'error.notFound': 'Not found, or you have no access to it.',
		'error.conflict': 'The data has been changed or exists already. Reload the page and try again.',
		'error.tooLarge': 'The file is too large.',
		'error.tooLargeLimit': 'The file is too large. The upload limit is {limit}.',
		'error.unsupportedType': 'This file type is not allowed. Accepted: PDF, JPEG, PNG, TIFF, Word, Excel, PowerPoint and OpenDocument.',
		'error.storageFull': 'The server\'s storage is full; the file was not stored. Please contact the administrator.',
		'error.headersTooLarge': 'The request is too large. Reload the page and try again.',
		'error.validation': 'The input is not valid.',
		'error.validationDetail': 'The input is not valid ({detail}).',
		'error.internal': 'An error occurred on the server. Please try again or contact the administrator.',
		'error.network': 'The server cannot be reached. Check the network connection and try again.',
		'error.aborted': 'Upload cancelled.',
		'error.status': 'The request failed (status {status}).',
		'error.unexpected': 'An unexpected error occurred.',

		'notFound.title': 'Page not found',
		'notFound.text': 'The address you opened is not known.',
	},
};

export default messages;

export const LANGUAGES = [
	{code: 'id', name: 'Bahasa Indonesia', locale: 'id-ID'},
	{code: 'en', name: 'English', locale: 'en-GB'},
];

const STORAGE_KEY = 'sidang.lang';

function stored() {
	try {
		return localStorage.getItem(STORAGE_KEY);
	} catch {
		return null; // storage disabled
	}
}

let current = LANGUAGES.some((l) => l.code === stored()) ? stored() : 'id';

export function lang() {
	return current;
}

export function setLang(code) {
	if (!LANGUAGES.some((l) => l.code === code)) return;
	current = code;
	try {
		localStorage.setItem(STORAGE_KEY, code);
	} catch {
		// not remembered; still switched for this page
	}
}

export function locale() {
	return LANGUAGES.find((l) => l.code === current).locale;
}

export function has(key) {
	return Object.prototype.hasOwnProperty.call(messages[current], key);
}

// The string KEY in the current language with {name} placeholders filled from PARAMS.
export function t(key, params) {
	let s = messages[current][key];
	if (s === undefined) s = messages.id[key];
	if (s === undefined) {
		console.warn(`i18n: missing key ${key}`);
		return key;
	}
	if (params) {
		s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
	}
	return s;
}
