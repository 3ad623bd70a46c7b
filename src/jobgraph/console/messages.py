"""The console's words, in the site's language (its branding ``locale``: ``ja-JP`` speaks
Japanese, anything else English). The page and console.js both take them from here; a
test checks that every language has every message."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "console": "Employer console",
        "email": "E-mail",
        "password": "Password",
        "signIn": "Sign in",
        "signInWith": "Sign in with {provider}",
        "signedInAs": "Signed in as",
        "signOut": "Sign out",
        "siteSettings": "Site settings",
        "operator": "Platform operator",
        "operatorCode": "Authenticator code",
        "loading": "Loading the console…",
        "signInFirst": "Sign in first: the console runs operations as you.",
        "expired": "Your sign-in has expired: sign out, then sign in again.",
        "signInFailed": "Signing in failed.",
        "providerFailed": "Signing in with your provider failed.",
        "providerRefused": "Your provider did not sign you in ({reason}).",
        "signingIn": "Signing in…",
        "signedOut": "Signed out.",
        "workingFor": "Working for {company}.",
        "noEmployer": "You are signed in, but not a member of an employer on this site.",
        "administer": "You administer this site: its settings are under Site settings.",
        "operatorSignedIn": "Signed in as a platform operator.",
    },
    "ja": {
        "console": "採用担当者コンソール",
        "email": "メールアドレス",
        "password": "パスワード",
        "signIn": "ログイン",
        "signInWith": "{provider} でログイン",
        "signedInAs": "ログイン中:",
        "signOut": "ログアウト",
        "siteSettings": "サイト設定",
        "operator": "プラットフォーム運営者",
        "operatorCode": "認証アプリのコード",
        "loading": "コンソールを読み込んでいます…",
        "signInFirst": "先にログインしてください。コンソールはあなたとして操作を実行します。",
        "expired": "ログインの有効期限が切れました。"
        "ログアウトしてから、もう一度ログインしてください。",
        "signInFailed": "ログインできませんでした。",
        "providerFailed": "認証プロバイダでのログインに失敗しました。",
        "providerRefused": "認証プロバイダがログインを許可しませんでした（{reason}）。",
        "signingIn": "ログインしています…",
        "signedOut": "ログアウトしました。",
        "workingFor": "{company} の担当者として操作しています。",
        "noEmployer": "ログインしましたが、このサイトの採用企業のメンバーではありません。",
        "administer": "このサイトの管理者です。設定は「サイト設定」から開けます。",
        "operatorSignedIn": "プラットフォーム運営者としてログインしました。",
    },
}


def messages_for(locale: str) -> dict[str, str]:
    """The messages of a site's locale (``ja-JP`` -> Japanese), English otherwise."""
    return MESSAGES.get(locale.split("-")[0].lower(), MESSAGES["en"])
