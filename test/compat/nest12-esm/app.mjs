// An ESM Nest 12 application loading the package by its name, as an app that installed it would.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BusModule, MessageBusService, OnInbound, OnOutbound } from 'nestjs-agent-bus';
import { createRequire } from 'node:module';
import scenario from '../scenario.cjs';

const nestVersion = createRequire(import.meta.url)('@nestjs/core/package.json').version;

await scenario.runCompatScenario({ nestVersion, Injectable, Module, NestFactory, BusModule, MessageBusService, OnInbound, OnOutbound });
