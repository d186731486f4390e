// A CommonJS Nest 11 application, written as such an app is compiled: decorators applied by hand.
require('reflect-metadata');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { BusModule, MessageBusService, OnInbound, OnOutbound } = require('nestjs-agent-bus');
const { runCompatScenario } = require('../scenario.cjs');

runCompatScenario({ nestVersion: require('@nestjs/core/package.json').version, Injectable, Module, NestFactory, BusModule, MessageBusService, OnInbound, OnOutbound }).catch((error) => {
  console.error(error);
  process.exit(1);
});
