"""The voice turn shared by browser and phone: audio formats, VAD, text for speech, turn-taking.

Transport-free (no sockets here), so every piece is testable on its own. Submodules import
their heavy dependencies lazily: importing `convonet.voice.audio` or `convonet.voice.text`
never loads PyAV, PocketSphinx, eSpeak NG or a vendor SDK.
"""
