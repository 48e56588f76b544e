package dev.livequery.core;

/** What a write did: the row's id and the version it now has ({@code deleted} for deletes). */
public record WriteResult(String id, long version, boolean deleted) {}
